"""1,000 device labels on A4 sheets (3 x 8): time, per-label cost and peak memory growth.

Targets: under 5 s on a 2-core machine, peak memory growth under 100 MB.
Run from the repository root: .venv/bin/python benchmarks/bench_labels.py
"""

import importlib.util
import pathlib
import resource
import time
import tracemalloc

ROOT = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("labels", ROOT / "tools" / "labels.py")
labels = importlib.util.module_from_spec(spec)
spec.loader.exec_module(labels)

COUNT = 1000
TIME_TARGET_S = 5.0
MEMORY_TARGET_MB = 100.0

data = [
    labels.LabelData(
        barcode=f"DEV{i:06d}",
        url=f"https://service.example.com/service/device/{i:08d}Qx7vK2mPz9LwRt",
        company="Label Printers Ltd",
        model="ZT411 Industrial Label Printer 203 dpi",
        serial=f"S/N 99J2045{i:05d}",
        phone="Service desk +86 21 5555 0100",
    )
    for i in range(COUNT)
]
labels.render_labels(data[:3], "a4_3x8")  # fonts and modules loaded before measuring

# Time first, untraced (tracemalloc slows Python down several times), then memory.
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
pdf = labels.render_labels(data, "a4_3x8")
elapsed = time.perf_counter() - start
rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
tracemalloc.start()
labels.render_labels(data, "a4_3x8")
_current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
peak_mb = peak / 1024 / 1024

print(f"labels: {COUNT} on {-(-COUNT // 24)} A4 pages, PDF {len(pdf) / 1024:.0f} KiB")
print(f"time: {elapsed:.2f} s, {elapsed / COUNT * 1000:.2f} ms per label")
print(f"time ratio to the {TIME_TARGET_S:.0f} s target: {elapsed / TIME_TARGET_S:.2f}")
print(
    f"peak Python memory growth: {peak_mb:.1f} MB"
    f" (ratio to target {peak_mb / MEMORY_TARGET_MB:.2f})"
)
print(f"process max RSS growth: {rss_after - rss_before:.1f} MB")
