"""A real SMTP server for the notification tests (aiosmtpd), on a loopback port.

Usage: smtp_sink.py PORT OUT_DIR [FAIL_FIRST]

Every message accepted is written whole to OUT_DIR/NNNNNN.eml (written aside, then renamed, so a
reader never sees half a message). The first FAIL_FIRST messages are answered `451` (try again
later), as a relay under load does. Prints READY once listening; stops on SIGTERM or when its
standard input closes (the test that started it ended).
"""

import itertools
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out, fail_first):
        self.out = out
        self.fail_first = fail_first
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                return "451 4.3.0 Mail server temporarily rejected message"
            n = next(self.counter)
        path = os.path.join(self.out, f"{n:06d}.eml")
        with open(path + ".part", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".part", path)
        return "250 2.0.0 OK"


def main():
    port = int(sys.argv[1])
    out = sys.argv[2]
    fail_first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    os.makedirs(out, exist_ok=True)
    controller = Controller(Sink(out, fail_first), hostname="127.0.0.1", port=port)
    controller.start()
    print("READY", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
