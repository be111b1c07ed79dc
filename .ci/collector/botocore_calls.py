"""Makes the set of STS calls of examples/stscalls with botocore, whose own
CSM reporter sends the datagrams (AWS_CSM_ENABLED=true, AWS_CSM_PORT), to
a fake STS on loopback: GetCallerIdentity 3 calls that succeed, AssumeRole
2 calls denied (403), GetSessionToken 1 call throttled (400) on each of its
3 attempts. With --skip-one, one GetCallerIdentity call fewer."""

import http.server
import sys
import threading
import urllib.parse

import botocore.config
import botocore.exceptions
import botocore.session

OK = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/demo</Arn>"
    "<UserId>AIDAFAKE</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>FAKEREQUESTID</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>"
)
ERROR = (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    "<Code>{code}</Code><Message>{message}</Message></Error><RequestId>FAKEREQUESTID</RequestId></ErrorResponse>"
)


class FakeSTS(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        action = urllib.parse.parse_qs(body.decode()).get("Action", [""])[0]
        if action == "GetCallerIdentity":
            status, text = 200, OK
        elif action == "AssumeRole":
            status, text = 403, ERROR.format(code="AccessDenied", message="not authorized")
        elif action == "GetSessionToken":
            status, text = 400, ERROR.format(code="Throttling", message="Rate exceeded")
        else:
            status, text = 400, ERROR.format(code="InvalidAction", message=action)
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Amzn-RequestId", "FAKEREQUESTID")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main():
    skip_one = "--skip-one" in sys.argv[1:]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeSTS)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    session = botocore.session.get_session()
    client = session.create_client(
        "sts",
        region_name="ap-southeast-2",
        endpoint_url="http://127.0.0.1:%d" % server.server_address[1],
        aws_access_key_id="AKIAFAKESTSCALLSBOTO",
        aws_secret_access_key="fake-secret",
        aws_session_token="fake-session-token",
        config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 3}),
    )
    summary = []
    for op, count in (("GetCallerIdentity", 3), ("AssumeRole", 2), ("GetSessionToken", 1)):
        if skip_one and op == "GetCallerIdentity":
            count -= 1
        failed = 0
        for _ in range(count):
            try:
                if op == "GetCallerIdentity":
                    client.get_caller_identity()
                elif op == "AssumeRole":
                    client.assume_role(RoleArn="arn:aws:iam::123456789012:role/denied", RoleSessionName="stscalls")
                else:
                    client.get_session_token()
            except botocore.exceptions.ClientError:
                failed += 1
        summary.append("%s %d (%d failed)" % (op, count, failed))
    server.shutdown()
    print("stscalls botocore %s: %s" % (botocore.__version__, ", ".join(summary)))


if __name__ == "__main__":
    main()
