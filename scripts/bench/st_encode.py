"""sentence-transformers encode, timed for `npm run bench` (scripts/bench-real.ts).

usage: python st_encode.py MODEL_DIR TEXTS_JSON BATCH_SIZE THREADS
Prints one JSON line: wall and process CPU of encode (after a warm-up), load time, peak RSS.
"""
import json
import resource
import sys
import time

model_dir, texts_file, batch_size, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t0 = time.perf_counter()
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

torch.set_num_threads(threads)
with open(texts_file, encoding="utf-8") as f:
    texts = json.load(f)
model = SentenceTransformer(model_dir, device="cpu")
model.encode(texts[:batch_size], batch_size=batch_size, normalize_embeddings=True)
load_ms = (time.perf_counter() - t0) * 1000

cpu0, wall0 = time.process_time(), time.perf_counter()
vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True)
wall_ms = (time.perf_counter() - wall0) * 1000
cpu_ms = (time.process_time() - cpu0) * 1000
assert len(vectors) == len(texts)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(
    json.dumps(
        {
            "wallMs": wall_ms,
            "cpuMs": cpu_ms,
            "startMs": load_ms,
            "processCpuMs": (usage.ru_utime + usage.ru_stime) * 1000,
            "maxRssBytes": usage.ru_maxrss * 1024,
            "versions": {"torch": torch.__version__},
        }
    )
)
