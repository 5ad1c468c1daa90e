"""Files through the real shotgun_api3 client: a large upload and download, and thumbnails under load.

Two figures (issue 14), each next to a baseline measured in the same run:

1. **Transfer**: ``sg.upload("Version", id, <file>, "sg_uploaded_movie")`` then
   ``sg.download_attachment(id, file_path=...)`` against ``shotlog serve`` (a fresh SQLite database,
   directory storage). The server announces direct uploads, so the client PUTs 20 MB parts to the
   upload URLs shotlog returns. MB/s each way, and the server's RSS sampled every 100 ms (before →
   peak → after): it must stay flat, the bytes streamed. The floor is a bare uvicorn application
   that streams a PUT body into a file and serves the file back with ``FileResponse``, driven by the
   client's own code for parts (``_upload_data_to_storage`` on 20 MB reads of the same file) and its
   own download (``download_attachment`` of a URL), so the ratio compares servers, not clients.
   Goal: shotlog ≥ 70% of the floor's rate both ways.
2. **Thumbnails under load**: bench/api3.py's update round trips (1 client) and event-log paging
   (``find`` of the whole 100,000-event log) while 100 threads, each with its own client, upload
   ~1-2 MP PNG and JPEG images made with Pillow (``sg.upload_thumbnail``) in a loop; next to the
   same figures without them, measured before and after the loaded run. Goal: within 10%.

The payload (random bytes, never sparse) is written once to ``bench/out/files_payload_<MB>.bin``
and reused. Every figure is printed with the 1-minute load average at its end.

    python bench/files.py [--size-mb 2000] [--runs 1] [--parts transfer thumbnails]
                          [--threads 100] [--events 100000] [--seconds 5] [--no-pg] [--json F]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import mimetypes
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import shotgun_api3

import api3
import benchlib as bl
import dataset
import shotlog

PARTS = ("transfer", "thumbnails")
MB = 1_000_000
#: the client's multipart part size (shotgun_api3's _MULTIPART_UPLOAD_CHUNK_SIZE)
CHUNK = shotgun_api3.Shotgun._MULTIPART_UPLOAD_CHUNK_SIZE
SCRIPT, KEY = api3.SCRIPT, api3.KEY
TRANSFER_GOAL, LOAD_GOAL = 0.70, 0.90
#: growth of the server's RSS during a transfer still called flat: less than one 20 MB part, so a
#: server that held a whole part (let alone the file) in memory would show above it
RSS_FLAT_MIB = 16.0

#: The floor: a PUT body streamed into a file (at the part's offset, so the parts make one file),
#: the file served back with FileResponse. Nothing else: no authentication, no bookkeeping.
FLOOR = r"""
import os, sys
import uvicorn
from starlette.applications import Starlette
from starlette.responses import FileResponse, Response
from starlette.routing import Route

root = sys.argv[2]

async def put(request):
    path = os.path.join(root, request.path_params["name"])
    offset = int(request.query_params.get("offset", "0"))
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644), "wb") as out:
        out.seek(offset)
        async for chunk in request.stream():
            out.write(chunk)
    return Response(headers={"ETag": '"%d"' % offset})

async def get(request):
    return FileResponse(os.path.join(root, request.path_params["name"]))

app = Starlette(routes=[Route("/f/{name}", put, methods=["PUT"]), Route("/f/{name}", get)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


# -- the measuring pieces ---------------------------------------------------------------------------


class RssSampler:
    """A process's resident memory every 100 ms in a thread, while the ``with`` block runs."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.before = self.peak = self.after = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _rss(self) -> float:
        return float(self.proc.memory_info().rss) / 2**20

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> RssSampler:
        self.before = self.peak = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.after = self._rss()
        self.peak = max(self.peak, self.after)

    def figures(self) -> dict[str, float]:
        return {"rss_before_mib": self.before, "rss_peak_mib": self.peak, "rss_after_mib": self.after}


def timed_transfer(server: subprocess.Popen[bytes], size: int, fn: Any) -> dict[str, Any]:
    """Run ``fn()`` (one whole transfer of ``size`` bytes) with the server's RSS and CPU watched.

    Dirty pages from the previous transfer are flushed first, so neither side pays for the other's
    writeback."""
    os.sync()
    cpu0 = api3.server_cpu(server)
    with RssSampler(server.pid) as rss:
        t0 = time.perf_counter()
        fn()
        seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "mb_per_s": size / MB / seconds,
        "server_cpu_s": api3.server_cpu(server) - cpu0,
        "load1": api3.load1(),
        **rss.figures(),
    }


def payload(size_mb: int) -> tuple[Path, dict[str, Any]]:
    """The upload's file (random bytes, written once and reused) and its size and sha256."""
    path = bl.ensure_out() / f"files_payload_{size_mb}.bin"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        if meta.get("bytes") == path.stat().st_size == size_mb * MB:
            return path, meta
    print(f"writing a {size_mb:,} MB payload to {path}", flush=True)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(size_mb // 4):
            block = os.urandom(4 * MB)
            digest.update(block)
            out.write(block)
    meta = {"bytes": size_mb * MB, "sha256": digest.hexdigest()}
    meta_path.write_text(json.dumps(meta))
    return path, meta


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(8 * 2**20):
            digest.update(block)
    return digest.hexdigest()


def check_copy(label: str, path: Path, meta: dict[str, Any]) -> bool:
    """Whether the downloaded ``path`` holds the payload's bytes; said loudly when not. Removed after."""
    try:
        size = path.stat().st_size
        ok = size == meta["bytes"] and sha256_of(path) == meta["sha256"]
        if not ok:
            print(f"  !! {label}: the downloaded file differs from the payload ({size:,} bytes)", flush=True)
        return ok
    finally:
        path.unlink(missing_ok=True)


# -- 1. transfer ------------------------------------------------------------------------------------


@contextmanager
def floor_server(store: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """The floor server storing under ``store`` (removed afterwards): its process and file URL prefix."""
    store.mkdir(parents=True, exist_ok=True)
    port = bl.free_port()
    proc = subprocess.Popen([sys.executable, "-c", FLOOR, str(port), str(store)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not _listening(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the floor server did not start ({proc.poll()})")
            time.sleep(0.1)
        yield proc, f"http://127.0.0.1:{port}/f"
    finally:
        bl.stop_process(proc, 20)
        shutil.rmtree(store, ignore_errors=True)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def floor_client() -> shotgun_api3.Shotgun:
    """A client used only for its part upload and download code, which need no server: its host is
    never contacted, and is not the floor's, so download_attachment adds no session cookie (getting
    one would call the server)."""
    return shotgun_api3.Shotgun("http://floor.invalid", SCRIPT, KEY, connect=False)


def floor_transfer(src: Path, meta: dict[str, Any], work: Path) -> dict[str, Any]:
    """Upload and download ``src`` through the floor server with the client's own part code."""
    sg = floor_client()
    content_type = mimetypes.guess_type(str(src))[0] or "application/octet-stream"
    copy = work / "floor_download.bin"
    with floor_server(work / "floor_store") as (proc, base):
        url = f"{base}/{src.name}"

        def upload() -> None:
            # what _multipart_upload_file_to_storage does for each part, less asking a server for its URL
            with src.open("rb") as f:
                offset = 0
                while data := f.read(CHUNK):
                    sg._upload_data_to_storage(
                        io.BytesIO(data), content_type, len(data), f"{url}?offset={offset}"
                    )
                    offset += len(data)

        up = timed_transfer(proc, meta["bytes"], upload)
        down = timed_transfer(proc, meta["bytes"], lambda: sg.download_attachment({"url": url}, str(copy)))
        down["verified"] = check_copy("floor", copy, meta)
    return {"upload": up, "download": down}


def shotlog_transfer(src: Path, meta: dict[str, Any], work: Path) -> dict[str, Any]:
    """``sg.upload`` then ``sg.download_attachment`` of ``src`` against a fresh ``shotlog serve``."""
    db, store = work / "files_transfer.db", work / "files_transfer_store"
    bl.remove_sqlite(db)
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    env = {"SHOTLOG_SCRIPT_NAME": SCRIPT, "SHOTLOG_SCRIPT_KEY": KEY, "SHOTLOG_FILES_URL": str(store)}
    server, url = bl.start_serve(bl.sqlite_url(db), env)
    copy = work / "shotlog_download.bin"
    try:
        sg = shotgun_api3.Shotgun(url, SCRIPT, KEY)
        project = sg.create("Project", {"name": "Files bench"})
        version = sg.create("Version", {"code": "bench_movie", "project": project})
        done: dict[str, int] = {}

        def upload() -> None:
            done["id"] = sg.upload("Version", version["id"], str(src), "sg_uploaded_movie")

        up = timed_transfer(server, meta["bytes"], upload)
        linked = sg.find_one("Version", [["id", "is", version["id"]]], ["sg_uploaded_movie"]) or {}
        movie = linked.get("sg_uploaded_movie")
        up["linked"] = bool(movie and movie.get("id") == done["id"])
        try:
            down = timed_transfer(
                server, meta["bytes"], lambda: sg.download_attachment(done["id"], str(copy))
            )
            down["way"] = "by id"
        except shotgun_api3.ShotgunFileDownloadError as exc:
            # by id the client sends its session as a cookie, which it may not get to send; the
            # field's URL (the client documentation's own example) is then the way that remains
            said = " ".join(str(exc).split())
            print(f"  !! shotlog: download_attachment({done['id']}) failed: {said}", flush=True)
            down = timed_transfer(server, meta["bytes"], lambda: sg.download_attachment(movie, str(copy)))
            down.update(way="the field's URL", by_id_error=said)
        down["verified"] = check_copy("shotlog", copy, meta)
    finally:
        bl.stop_process(server, 20)
        bl.remove_sqlite(db)
        shutil.rmtree(store, ignore_errors=True)
    return {"upload": up, "download": down}


def show(label: str, direction: str, r: dict[str, Any]) -> None:
    print(
        f"  {label}: {direction} {r['mb_per_s']:,.0f} MB/s ({r['seconds']:.1f} s, server CPU "
        f"{r['server_cpu_s']:.1f} s); server RSS {r['rss_before_mib']:.0f} → peak {r['rss_peak_mib']:.0f} "
        f"→ {r['rss_after_mib']:.0f} MiB (load {r['load1']:.2f})",
        flush=True,
    )


def measure_transfer(size_mb: int, runs: int) -> dict[str, Any]:
    src, meta = payload(size_mb)
    work = bl.ensure_out() / "files_work"
    work.mkdir(exist_ok=True)
    print(f"transfer of {size_mb:,} MB through shotgun_api3 ({runs} run(s), the order alternating)")
    results: list[dict[str, Any]] = []
    try:
        for i in range(runs):
            sides = [("floor", floor_transfer), ("shotlog", shotlog_transfer)]
            run: dict[str, Any] = {}
            for label, fn in sides if i % 2 == 0 else sides[::-1]:
                run[label] = fn(src, meta, work)
                for direction in ("upload", "download"):
                    show(label, direction, run[label][direction])
            results.append(run)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out: dict[str, Any] = {"size_mb": size_mb, "runs": results, "rss_flat_mib": RSS_FLAT_MIB}
    for direction in ("upload", "download"):
        rate = {s: bl.median([r[s][direction]["mb_per_s"] for r in results]) for s in ("floor", "shotlog")}
        growth = max(
            r["shotlog"][direction]["rss_peak_mib"] - r["shotlog"][direction]["rss_before_mib"]
            for r in results
        )
        out[direction] = {
            "floor_mb_per_s": rate["floor"],
            "shotlog_mb_per_s": rate["shotlog"],
            "ratio": rate["shotlog"] / rate["floor"],
            "rss_growth_mib": growth,
            "flat": growth < RSS_FLAT_MIB,
            "verified": all(
                r[s]["download"].get("verified", True) for r in results for s in ("floor", "shotlog")
            ),
        }
        o = out[direction]
        print(
            f"{direction}: shotlog {o['shotlog_mb_per_s']:,.0f} MB/s = {o['ratio']:.0%} of the floor's "
            f"{o['floor_mb_per_s']:,.0f} MB/s (goal ≥ {TRANSFER_GOAL:.0%}); "
            f"server RSS +{growth:.0f} MiB at peak",
            flush=True,
        )
    return out


# -- 2. thumbnails under load -----------------------------------------------------------------------


def thumbnails(count: int = 8) -> list[Path]:
    """``count`` images of 1.4-2.1 MP (gradients, shapes and noise, PNG and JPEG), made once."""
    from PIL import Image, ImageDraw

    folder = bl.ensure_out() / "files_thumbs"
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"thumb_{i}.{'png' if i % 2 else 'jpg'}"
        paths.append(path)
        if path.exists():
            continue
        w, h = (1600, 900) if i % 3 else (1920, 1080)
        rng = random.Random(i)
        img = Image.merge(
            "RGB",
            (
                Image.linear_gradient("L").resize((w, h)),
                Image.radial_gradient("L").resize((w, h)),
                Image.effect_noise((w, h), 30 + 5 * i),
            ),
        )
        draw = ImageDraw.Draw(img)
        for _ in range(40):
            x, y = rng.randrange(w), rng.randrange(h)
            box = (x, y, x + rng.randrange(20, 400), y + rng.randrange(20, 300))
            colour = tuple(rng.randrange(256) for _ in range(3))
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
        if path.suffix == ".jpg":
            img.save(path, quality=90)
        else:
            img.save(path)
    return paths


def _thumb_load(
    url: str,
    floor: str | None,
    rate: float | None,
    shot_ids: list[int],
    images: list[str],
    ready: Any,
    stop: Any,
    out: Any,
) -> None:
    """One process, a thread and a client per Shot, each uploading thumbnails until ``stop``: to
    shotlog, or with ``floor`` (the control) the same images PUT to the floor server instead, paced
    to ``rate`` uploads per second in all when given."""
    lock = threading.Lock()
    started, uploads, errors = [0], [0], []  # started: threads whose first upload is over
    seconds: list[float] = []
    data = [Path(p).read_bytes() for p in images]

    def upload(sg: shotgun_api3.Shotgun, n: int, shot_id: int) -> None:
        if floor is None:
            sg.upload_thumbnail("Shot", shot_id, images[n % len(images)])
        else:
            body = data[n % len(data)]
            sg._upload_data_to_storage(io.BytesIO(body), "image/png", len(body), f"{floor}/t{shot_id}")

    def worker(n: int, shot_id: int) -> None:
        sg = floor_client() if floor else shotgun_api3.Shotgun(url, SCRIPT, KEY, connect=False)
        interval = len(shot_ids) / rate if rate else 0.0
        due = time.perf_counter() + interval * n / len(shot_ids)  # the threads' turns spread out
        first = True
        while first or not stop.is_set():
            if interval and stop.wait(max(0.0, due - time.perf_counter())) and not first:
                break
            due += interval
            t0 = time.perf_counter()
            try:
                upload(sg, n, shot_id)
                with lock:
                    uploads[0] += 1
                    seconds.append(time.perf_counter() - t0)
            except Exception as exc:
                # the client's message puts what the server answered after "Error:"
                said = " ".join(str(exc).split("Error:", 1)[-1].split())
                with lock:
                    errors.append(f"{type(exc).__name__}: {said[:300]}")
            n += 1
            if first:
                first = False
                with lock:
                    started[0] += 1
                    if started[0] == len(shot_ids):
                        ready.put(None)

    threads = [threading.Thread(target=worker, args=(i, s)) for i, s in enumerate(shot_ids)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    out.put(
        {
            "uploads": uploads[0],
            "per_s": uploads[0] / elapsed,
            "errors": len(errors),
            "first_errors": list(dict.fromkeys(errors))[:3],  # the distinct ones
            "latency": bl.latency_stats(seconds) if seconds else None,
        }
    )


def api3_figures(label: str, url: str, shot: int, seconds: float, server: Any) -> dict[str, Any]:
    """bench/api3.py's update round trips (1 client) and paging of the whole log, printed."""
    u = api3.update_rate(url, [shot], 1, seconds, server)
    p = api3.paging(url, server)
    print(
        f"  {label}: {u['rate']:,.0f} updates/s (load {u['load1']:.2f}); paged {p['rows']:,} events at "
        f"{p['rows_per_s']:,.0f} rows/s (load {p['load1']:.2f})",
        flush=True,
    )
    return {"updates_1": u["rate"], "updates_1_load1": u["load1"], "paging": p}


def under_load(
    label: str,
    url: str,
    floor: tuple[str, float] | None,
    shots: list[int],
    images: list[str],
    seconds: float,
    server: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """api3_figures while ``_thumb_load`` runs with a thread for each of ``shots[1:]``, to shotlog
    or to ``floor`` (its URL and the rate to keep); both results."""
    what = f"{len(shots) - 1} thumbnail uploaders"
    if floor:
        what += f" to the floor at {floor[1]:.1f}/s (control)"
    ctx = multiprocessing.get_context("spawn")
    ready, stop, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    load = ctx.Process(
        target=_thumb_load, args=(url, *(floor or (None, None)), shots[1:], images, ready, stop, out)
    )
    load.start()
    try:
        ready.get(timeout=600)  # every thread has finished one upload: the load is steady
        figures = api3_figures(f"{label} with {what}", url, shots[0], seconds, server)
    finally:
        stop.set()
    t = out.get(timeout=600)
    load.join()
    print(
        f"  {label}: {t['uploads']:,} uploads at {t['per_s']:,.1f}/s, {t['errors']} errors"
        + (f" (first: {t['first_errors'][0]})" if t["errors"] else ""),
        flush=True,
    )
    return figures, t


def measure_thumbnails(
    db_url: str, label: str, threads: int, seconds: float, work: Path, control: bool
) -> dict[str, Any]:
    store = work / f"files_thumbs_store_{label}"
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    env = {"SHOTLOG_SCRIPT_NAME": SCRIPT, "SHOTLOG_SCRIPT_KEY": KEY, "SHOTLOG_FILES_URL": str(store)}
    images = [str(p) for p in thumbnails()]
    server, url = bl.start_serve(db_url, env)
    try:
        sg = shotgun_api3.Shotgun(url, SCRIPT, KEY)
        project = sg.create("Project", {"name": "Files bench"})
        shots = [
            r["id"]
            for r in sg.batch(
                [
                    {
                        "request_type": "create",
                        "entity_type": "Shot",
                        "data": {"code": f"thumb{i}", "project": project},
                    }
                    for i in range(threads + 1)
                ]
            )
        ]
        result: dict[str, Any] = {"label": label, "threads": threads}
        result["without_before"] = api3_figures(f"{label} without thumbnails", url, shots[0], seconds, server)
        result["with"], result["load"] = under_load(label, url, None, shots, images, seconds, server)
        if control:
            with floor_server(work / "files_thumbs_floor") as (_floor, base):
                # as many uploads a second as shotlog took in, so only who does the work differs
                rate = max(result["load"]["per_s"], 0.1)
                result["control"], result["control_load"] = under_load(
                    label, url, (base, rate), shots, images, seconds, server
                )
        result["without_after"] = api3_figures(f"{label} without thumbnails", url, shots[0], seconds, server)
    finally:
        bl.stop_process(server, 20)
        shutil.rmtree(store, ignore_errors=True)
    before, after, loaded = result["without_before"], result["without_after"], result["with"]
    for key, get in (("updates", lambda r: r["updates_1"]), ("paging", lambda r: r["paging"]["rows_per_s"])):
        without = (get(before) + get(after)) / 2
        result[f"{key}_without"] = without
        result[f"{key}_with"] = get(loaded)
        result[f"{key}_ratio"] = get(loaded) / without
        if control:
            result[f"{key}_control_ratio"] = get(result["control"]) / without
    print(
        f"{label}: with thumbnails, updates {result['updates_ratio']:.0%} and paging "
        f"{result['paging_ratio']:.0%} of the runs without (goal ≥ {LOAD_GOAL:.0%})"
        + (
            f"; with the control load {result['updates_control_ratio']:.0%} and "
            f"{result['paging_control_ratio']:.0%}"
            if control
            else ""
        ),
        flush=True,
    )
    return result


# -- command line -----------------------------------------------------------------------------------


def _size(text: str) -> int:
    size = int(text)
    if size <= CHUNK // MB or size % 4:
        raise argparse.ArgumentTypeError(
            f"--size-mb {text}: give a multiple of 4 above {CHUNK // MB} (the client's part size), e.g. 200"
        )
    return size


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=_size, default=2000, help="payload size in MB (default 2000)")
    parser.add_argument("--runs", type=int, default=1, help="transfer runs, the order alternating")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS), help="what to measure")
    parser.add_argument("--threads", type=int, default=100, help="concurrent thumbnail uploaders")
    parser.add_argument(
        "--files-dir",
        type=Path,
        default=None,
        help="where the thumbnail figure's server keeps its files (default bench/out; a path on "
        "another device, e.g. /dev/shm, shows what the syncs of the uploads cost the database's)",
    )
    parser.add_argument(
        "--no-control",
        action="store_true",
        help="skip the control: the same threads PUTting the images to the floor server instead",
    )
    parser.add_argument("--events", type=int, default=100_000, help="event-log size for the paging")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each update-rate run")
    bl.common_args(parser)
    bl.backend_arg(parser)
    args = parser.parse_args(argv)
    info = bl.announce_machine(args)
    # the code measured: shotlog may be imported from elsewhere than src/ (PYTHONPATH), e.g. an
    # export of a commit while the working tree holds unfinished changes
    source = str(Path(shotlog.__file__).resolve().parent)
    results: dict[str, Any] = {"machine": info, "parts": sorted(set(args.parts)), "shotlog_source": source}
    if "transfer" in args.parts:
        results["transfer"] = measure_transfer(args.size_mb, args.runs)
    if "thumbnails" in args.parts:
        print(f"thumbnail uploads ({args.threads} threads) beside bench/api3.py's figures")
        work = args.files_dir or bl.ensure_out()
        results["thumbnails"] = {"events": args.events, "files_dir": str(work)}
        for backend in bl.chosen_backends(args):
            dataset.ensure(backend, args.events, args.pg_admin_url)
            db_url, remove = dataset.throwaway_copy(backend, args.events, args.pg_admin_url, "files")
            try:
                results["thumbnails"][backend] = measure_thumbnails(
                    db_url,
                    "SQLite" if backend == "sqlite" else "PostgreSQL",
                    args.threads,
                    args.seconds,
                    work,
                    not args.no_control,
                )
            finally:
                remove()
    bl.write_json(args.json, results)
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
