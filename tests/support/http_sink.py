"""An HTTP receiver for the notification burst benchmark: answers every POST `204` (a webhook
endpoint that took the message) and counts them. Usage: http_sink.py PORT. Prints READY."""

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    count = 0

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        self.rfile.read(length)
        Handler.count += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
print("READY", flush=True)
server.serve_forever()
