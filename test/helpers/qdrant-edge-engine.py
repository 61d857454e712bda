"""Qdrant Edge behind the Qdrant stand-in (qdrant-standin-edge.ts).

Qdrant Edge (PyPI `qdrant-edge-py`, by Qdrant, Apache-2.0) is Qdrant's storage and search engine
(the Rust segment/shard code of the server) as an in-process library. The stand-in keeps the HTTP
side (routing, OpenAPI validation, limits, error shapes); this process turns each REST operation
into the same operation on one Edge shard per collection, so filters, scores, id handling and
payloads are the real engine's.

Protocol: one JSON object per line on stdin, `{"id", "op", "name", "body"}`; one per line on
stdout, `{"id", "result"}` or `{"id", "error": {"status", "message"}}`.
"""

import json
import shutil
import sys
import tempfile
import uuid

from qdrant_edge import (
    CountRequest,
    Distance,
    EdgeConfig,
    EdgeShard,
    EdgeVectorParams,
    FieldCondition,
    Filter,
    HasIdCondition,
    MatchAny,
    MatchValue,
    PayloadSchemaType,
    Point,
    Query,
    QueryRequest,
    RangeFloat,
    ScrollRequest,
    UpdateOperation,
)

DISTANCES = {"Cosine": Distance.Cosine, "Dot": Distance.Dot, "Euclid": Distance.Euclid}
SCHEMAS = {"keyword": PayloadSchemaType.Keyword, "integer": PayloadSchemaType.Integer}


class Failure(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def unsupported(what):
    return Failure(501, f"stand-in (Qdrant Edge) lacks {what}")


def point_id(value):
    return value if isinstance(value, int) else str(uuid.UUID(str(value)))


def values_at(payload, key):
    """Every value at a dot path, arrays flattened (Qdrant's reading of a key)."""
    values = [payload]
    for part in key.split("."):
        part = part.removesuffix("[]")
        values = [x for v in values for x in (v if isinstance(v, list) else [v])]
        values = [v[part] for v in values if isinstance(v, dict) and part in v]
    return [x for v in values for x in (v if isinstance(v, list) else [v])]


def bool_match(shard, key, value):
    """
    qdrant-edge-py 0.9.0 reads MatchValue(True) as the integer 1 (a Python bool is an int, and its
    binding tries int first), so a bool match never finds a bool. The server parses JSON `true` as
    a bool; to keep that, the points whose values at `key` include the bool are found here and
    matched by id.
    """
    records, _ = shard.scroll(ScrollRequest(limit=1_000_000, with_payload=True))
    ids = {r.id for r in records if any(v is value for v in values_at(r.payload or {}, key))}
    return HasIdCondition(ids)


def condition(c, shard):
    if any(k in c for k in ("must", "should", "must_not")):
        return to_filter(c, shard)
    if "has_id" in c:
        return HasIdCondition(set(point_id(i) for i in c["has_id"]))
    if "key" not in c:
        raise unsupported(f"condition {json.dumps(c)}")
    match, rng = c.get("match"), c.get("range")
    if match is not None:
        if isinstance(match.get("value"), bool):
            return bool_match(shard, c["key"], match["value"])
        if "value" in match:
            return FieldCondition(key=c["key"], match=MatchValue(match["value"]))
        if "any" in match:
            return FieldCondition(key=c["key"], match=MatchAny(match["any"]))
        raise unsupported(f"match {json.dumps(match)}")
    if rng is not None:
        bounds = {k: rng[k] for k in ("gt", "gte", "lt", "lte") if rng.get(k) is not None}
        return FieldCondition(key=c["key"], range=RangeFloat(**bounds))
    raise unsupported(f"field condition {json.dumps(c)}")


def to_filter(f, shard):
    if f is None:
        return None
    if f.get("min_should") is not None:
        raise unsupported("min_should")

    def conditions(key):
        value = f.get(key)
        if value is None:
            return None
        return [condition(c, shard) for c in (value if isinstance(value, list) else [value])]

    return Filter(must=conditions("must"), should=conditions("should"), must_not=conditions("must_not"))


class Engine:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="qdrant-edge-")
        self.collections = {}
        self.operation = 0

    def get(self, name):
        c = self.collections.get(name)
        if c is None:
            raise Failure(404, f"Not found: Collection `{name}` doesn't exist!")
        return c

    def done(self):
        self.operation += 1
        return {"operation_id": self.operation, "status": "completed"}

    def names(self, _name, _body):
        return {"collections": [{"name": n} for n in self.collections]}

    def exists(self, name, _body):
        return {"exists": name in self.collections}

    def create(self, name, body):
        if name in self.collections:
            raise Failure(409, f"Wrong input: Collection `{name}` already exists!")
        vectors = body.get("vectors") or {}
        if not isinstance(vectors.get("size"), int) or vectors.get("distance") not in DISTANCES:
            raise unsupported("collections without one unnamed Cosine/Dot/Euclid vector")
        params = EdgeVectorParams(size=vectors["size"], distance=DISTANCES[vectors["distance"]])
        shard = EdgeShard.create(f"{self.root}/{len(self.collections)}", EdgeConfig(vectors=params))
        self.collections[name] = {
            "shard": shard,
            "vectors": {"size": vectors["size"], "distance": vectors["distance"]},
            "metadata": body.get("metadata"),
            "indexes": {},
        }
        return True

    def info(self, name, _body):
        c = self.get(name)
        count = c["shard"].count(CountRequest(exact=True))
        schema = {f: {"data_type": t, "points": count} for f, t in c["indexes"].items()}
        config = {
            "params": {"vectors": c["vectors"], "shard_number": 1, "replication_factor": 1},
            "hnsw_config": {"m": 16, "ef_construct": 100, "full_scan_threshold": 10000},
            "optimizer_config": {"default_segment_number": 0, "flush_interval_sec": 5},
        }
        if c["metadata"] is not None:
            config["metadata"] = c["metadata"]
        return {
            "status": "green",
            "optimizer_status": "ok",
            "segments_count": 1,
            "points_count": count,
            "payload_schema": schema,
            "config": config,
        }

    def createIndex(self, name, body):
        c = self.get(name)
        kind = body.get("field_schema") or "keyword"
        if kind not in SCHEMAS:
            raise unsupported(f"index type {kind}")
        c["shard"].update(UpdateOperation.create_field_index(body["field_name"], SCHEMAS[kind]))
        c["indexes"][body["field_name"]] = kind
        return self.done()

    def upsert(self, name, body):
        c = self.get(name)
        if "points" not in body:
            raise unsupported("upsert in batch (columnar) form")
        size = c["vectors"]["size"]
        for p in body["points"]:
            if not isinstance(p["vector"], list):
                raise unsupported("named or multi vectors")
            if len(p["vector"]) != size:
                message = f"expected dim: {size}, got {len(p['vector'])}"
                raise Failure(400, f"Wrong input: Vector dimension error: {message}")
        points = [Point(point_id(p["id"]), p["vector"], p.get("payload") or {}) for p in body["points"]]
        c["shard"].update(UpdateOperation.upsert_points(points))
        return self.done()

    def delete(self, name, body):
        c = self.get(name)
        if "points" in body:
            operation = UpdateOperation.delete_points([point_id(i) for i in body["points"]])
        else:
            operation = UpdateOperation.delete_points_by_filter(to_filter(body["filter"], c["shard"]))
        c["shard"].update(operation)
        return self.done()

    def count(self, name, body):
        c = self.get(name)
        request = CountRequest(exact=True, filter=to_filter(body.get("filter"), c["shard"]))
        return {"count": c["shard"].count(request)}

    def query(self, name, body):
        c = self.get(name)
        vector = body.get("query")
        if not isinstance(vector, list):
            raise unsupported("queries other than a plain vector")
        size = c["vectors"]["size"]
        if len(vector) != size:
            message = f"expected dim: {size}, got {len(vector)}"
            raise Failure(400, f"Wrong input: Vector dimension error: {message}")
        request = QueryRequest(
            limit=body.get("limit", 10),
            query=Query.Nearest(vector),
            filter=to_filter(body.get("filter"), c["shard"]),
            with_payload=body.get("with_payload") is True,
        )
        points = []
        for p in c["shard"].query(request):
            point = {"id": p.id if isinstance(p.id, int) else str(p.id), "version": p.version, "score": p.score}
            if body.get("with_payload") is True:
                point["payload"] = p.payload or {}
            points.append(point)
        return {"points": points}

    def retrieve(self, name, body):
        c = self.get(name)
        with_payload, with_vector = body.get("with_payload", False), body.get("with_vector", False)
        if not isinstance(with_payload, bool) or not isinstance(with_vector, bool):
            raise unsupported("with_payload/with_vector other than true or false")
        ids = list(dict.fromkeys(point_id(i) for i in body["ids"]))
        records = c["shard"].retrieve(ids, with_payload=with_payload, with_vector=with_vector)
        # as Qdrant 1.19: the fields not asked for are left out
        return [
            {
                "id": r.id if isinstance(r.id, int) else str(r.id),
                **({"payload": r.payload or {}} if with_payload else {}),
                **({"vector": r.vector} if with_vector else {}),
            }
            for r in records
        ]

    def close(self):
        for c in self.collections.values():
            c["shard"].close()
        shutil.rmtree(self.root, ignore_errors=True)


def main():
    engine = Engine()
    try:
        for line in sys.stdin:
            request = json.loads(line)
            try:
                handler = getattr(engine, request["op"])
                reply = {"id": request["id"], "result": handler(request["name"], request["body"])}
            except Failure as e:
                reply = {"id": request["id"], "error": {"status": e.status, "message": str(e)}}
            except Exception as e:  # the engine's own refusals, e.g. a bad value
                reply = {"id": request["id"], "error": {"status": 400, "message": f"Wrong input: {e}"}}
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
    finally:
        engine.close()


if __name__ == "__main__":
    main()
