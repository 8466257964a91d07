#!/usr/bin/env python3
"""tensorboard_check.py RUN_DIR LOG: reads the event file of a clnet run folder with TensorBoard's
own reader (event_accumulator) and checks it against what clnet printed (LOG, its stdout):
every log line's cost, accuracy, learning rate and images/s at its step, the test cost and
accuracy, every capture's tensors with their count, min and max at its step, the settings text.
TensorBoard drops a record with a bad CRC silently, so the events it loads are counted against
the records the file holds (read here by the framing alone). Exit 0, or 1 naming the first
difference."""
import glob
import math
import os
import re
import struct
import sys

from tensorboard.backend.event_processing import event_accumulator, event_file_loader


def fail(msg):
    print("tensorboard_check: " + msg, file=sys.stderr)
    sys.exit(1)


def close(got, want, rel, absolute=0.0):
    return abs(got - want) <= max(absolute, rel * abs(want))


def records(path):
    """The number of whole records by their length fields (no CRC check)."""
    n, data = 0, open(path, "rb").read()
    at = 0
    while at + 12 <= len(data):
        (length,) = struct.unpack("<Q", data[at:at + 8])
        if at + 12 + length + 4 > len(data):
            break
        at += 12 + length + 4
        n += 1
    return n


def parse_log(path):
    steps, captures, val, test = {}, {}, {}, None
    step_re = re.compile(r"^step +(\d+) +epoch +\d+ +cost +(\S+) +accuracy +(\S+)% +(\S+) images/s +lr (\S+)")
    cap_step = None
    for line in open(path):
        m = step_re.match(line)
        if m:
            steps[int(m.group(1))] = tuple(float(g) for g in m.group(2, 3, 4, 5))
            continue
        m = re.match(r"^histograms at step (\d+)", line)
        if m:
            cap_step = int(m.group(1))
            captures[cap_step] = {}
            continue
        m = re.match(r"^  (\S+) +(\d+) +(\S+) +(\S+) +(\S+) +\S+ +\S+% +\d+$", line)
        if m and cap_step is not None and m.group(1) != "tensor":
            captures[cap_step][m.group(1)] = (int(m.group(2)), float(m.group(3)), float(m.group(4)),
                                              float(m.group(5)))
            continue
        m = re.match(r"^validation after step (\d+) .*: cost (\S+) +accuracy +(\S+)%", line)
        if m:
            val[int(m.group(1))] = (float(m.group(2)), float(m.group(3)))
            continue
        m = re.match(r"^test cost (\S+) +test accuracy (\S+)%", line)
        if m:
            test = (float(m.group(1)), float(m.group(2)))
    return steps, captures, val, test


def main():
    run_dir, log = sys.argv[1], sys.argv[2]
    files = glob.glob(os.path.join(run_dir, "events.out.tfevents.*.clnet"))
    if len(files) != 1:
        fail("%s: %d event files, want 1" % (run_dir, len(files)))
    path = files[0]
    loaded = sum(1 for _ in event_file_loader.EventFileLoader(path).Load())
    held = records(path)
    if loaded != held:
        fail("%s: TensorBoard loads %d events of the %d records" % (path, loaded, held))
    acc = event_accumulator.EventAccumulator(path, size_guidance={event_accumulator.SCALARS: 0,
                                                                  event_accumulator.HISTOGRAMS: 0,
                                                                  event_accumulator.TENSORS: 0})
    acc.Reload()
    steps, captures, val, test = parse_log(log)
    if not steps:
        fail(log + ": no log lines")
    tags = acc.Tags()
    scalars = {t: {e.step: e.value for e in acc.Scalars(t)} for t in tags["scalars"]}
    counts = {t: len(v) for t, v in sorted(scalars.items())}
    for step, (cost, accuracy, ips, lr) in steps.items():
        want = {"train/cost": (cost, 1e-5, 6e-6), "train/accuracy": (accuracy / 100, 1e-5, 6e-5),
                "train/images_per_second": (ips, 1e-4, 0.06), "train/learning_rate": (lr, 1e-3, 0)}
        for tag, (value, rel, absolute) in want.items():
            got = scalars.get(tag, {}).get(step)
            if got is None or not close(got, value, rel, absolute):
                fail("%s at step %d: %s, clnet printed %g" % (tag, step, got, value))
    if not val:
        fail(log + ": no validation lines")
    for step, (cost, accuracy) in val.items():
        for tag, value in (("validation/cost", cost), ("validation/accuracy", accuracy / 100)):
            got = scalars.get(tag, {}).get(step)
            if got is None or not close(got, value, 1e-5, 6e-5):
                fail("%s at step %d: %s, clnet printed %g" % (tag, step, got, value))
    last = max(steps)
    if test:
        for tag, value, absolute in (("test/cost", test[0], 6e-5), ("test/accuracy", test[1] / 100, 6e-5)):
            got = scalars.get(tag, {}).get(last)
            if got is None or not close(got, value, 0, absolute):
                fail("%s at step %d: %s, clnet printed %g" % (tag, last, got, value))
    nhist = 0
    for step, tensors in captures.items():
        for name, (count, lo, hi, mean) in tensors.items():
            hs = [e for e in acc.Histograms(name) if e.step == step] if name in tags["histograms"] else []
            if len(hs) != 1:
                fail("histogram %s at step %d: %d events" % (name, step, len(hs)))
            h = hs[0].histogram_value
            if int(h.num) != count or not close(h.min, lo, 1e-3, 1e-30) or not close(h.max, hi, 1e-3, 1e-30):
                fail("histogram %s at step %d: count %g min %g max %g, clnet printed %d %g %g"
                     % (name, step, h.num, h.min, h.max, count, lo, hi))
            if int(round(sum(h.bucket))) != count:
                fail("histogram %s at step %d: buckets hold %g of %d values" % (name, step, sum(h.bucket), count))
            if not close(h.sum / h.num, mean, 1e-3, 1e-4 * max(abs(lo), abs(hi))):
                fail("histogram %s at step %d: mean %g, clnet printed %g" % (name, step, h.sum / h.num, mean))
            edges = [h.min] + list(h.bucket_limit)
            if any(b < a for a, b in zip(edges, edges[1:])) or h.bucket_limit[-1] != h.max:
                fail("histogram %s at step %d: bucket edges not increasing from min to max: %s"
                     % (name, step, edges[:8]))
            nhist += 1
    if "settings" not in tags["tensors"]:
        fail("no settings text")
    text = acc.Tensors("settings")[0].tensor_proto.string_val[0].decode()
    if "| network |" not in text:
        fail("the settings text has no network row: " + text[:200])
    print("tensorboard_check: %s: %d records, all loaded; scalars %s; %d histograms at %d steps; settings text"
          % (os.path.basename(path), held, counts, nhist, len(captures)))


main()
