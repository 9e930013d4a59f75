"""The GIL is released while octet computes: a second Python thread keeps running while octet
calibrates. The thread notes the time at every turn; with the GIL held through calibration
its largest pause would span the whole quantize() call."""
import threading
import time

import octet


def test_other_threads_run_during_calibration(resnet, images):
    stamps, stop = [], threading.Event()

    def ticker():
        while not stop.is_set():
            stamps.append(time.monotonic())
            time.sleep(0.001)

    data = images * 4  # 256 samples: calibration takes a good part of a second
    t = threading.Thread(target=ticker)
    t.start()
    start = time.monotonic()
    octet.quantize(resnet, data, subset_size=len(data), advanced={"threads": 1})
    end = time.monotonic()
    stop.set()
    t.join()
    during = [s for s in stamps if start <= s <= end]
    gaps = [b - a for a, b in zip([start] + during, during + [end])]
    assert len(during) > 10
    assert max(gaps) < 0.5 * (end - start)
