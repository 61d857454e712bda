"""One write run of Weaviate's official Python client (weaviate-client v4) for `npm run bench:stores`.

Creates a fresh class from the schema file (the class vectorize creates, with its metadata
properties already in it), writes the objects (ids and properties from a JSON-lines file, vectors
from a float32 file) in one of the client's modes, and prints one JSON line: mode, vectors, seconds
of the write alone, failed objects, and the server's CPU-seconds during the write when its pid is
given, and this process's own CPU-seconds. The class is deleted afterwards. Run by scripts/bench-stores-weaviate.ts in the venv it
prepares.

Modes: insert_many (collection.data.insert_many, unary gRPC, `batch_size` objects per call, one
call after the other), fixed_size (collection.batch.fixed_size with `concurrency` requests in
flight), dynamic (collection.batch.dynamic).
"""

import argparse
import array
import json
import os
import time

import weaviate
from weaviate.classes.data import DataObject


def cpu_seconds(pid):
    if pid is None:
        return None
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3 of stat): utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(args):
    with open(args.objects) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    floats = array.array("f")
    with open(args.vectors, "rb") as f:
        floats.frombytes(f.read())  # native float32, written on this machine
    d = args.dims
    return [
        (row["id"], row["properties"], floats[i * d : (i + 1) * d].tolist())
        for i, row in enumerate(rows)
    ]


def write(collection, objects, args):
    if args.mode == "insert_many":
        failed = 0
        for start in range(0, len(objects), args.batch_size):
            chunk = objects[start : start + args.batch_size]
            reply = collection.data.insert_many(
                [DataObject(properties=p, vector=v, uuid=u) for u, p, v in chunk]
            )
            failed += len(reply.errors)
        return failed
    if args.mode == "fixed_size":
        batcher = collection.batch.fixed_size(
            batch_size=args.batch_size, concurrent_requests=args.concurrency
        )
    elif args.mode == "dynamic":
        batcher = collection.batch.dynamic()
    else:
        raise SystemExit(f"unknown mode {args.mode}")
    with batcher as batch:
        for u, p, v in objects:
            batch.add_object(properties=p, vector=v, uuid=u)
    return len(collection.batch.failed_objects)


def main():
    parser = argparse.ArgumentParser()
    for name in ("--schema", "--objects", "--vectors", "--mode"):
        parser.add_argument(name, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--grpc-port", type=int, required=True)
    parser.add_argument("--dims", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--server-pid", type=int)
    args = parser.parse_args()

    objects = load(args)
    with open(args.schema) as f:
        schema = json.load(f)
    client = weaviate.connect_to_local(
        host=args.host, port=args.http_port, grpc_port=args.grpc_port
    )
    try:
        client.collections.delete(schema["class"])
        collection = client.collections.create_from_dict(schema)
        cpu0 = cpu_seconds(args.server_pid)
        own0 = time.process_time()  # every thread of this process, gRPC's included
        t0 = time.perf_counter()
        failed = write(collection, objects, args)
        seconds = time.perf_counter() - t0
        own = time.process_time() - own0
        cpu1 = cpu_seconds(args.server_pid)
        count = collection.aggregate.over_all(total_count=True).total_count
        client.collections.delete(schema["class"])
    finally:
        client.close()
    print(
        json.dumps(
            {
                "mode": args.mode,
                "vectors": len(objects),
                "stored": count,
                "seconds": seconds,
                "failed": failed,
                "server_cpu_s": None if cpu0 is None else cpu1 - cpu0,
                "client_cpu_s": own,
                "client": weaviate.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
