#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from the documented examples
(carbonext-api/tests/fixtures/*.json): response bodies for `responses` (first byte = type),
every timestamp and number they contain for `timestamp` and `decimal`."""
import json, pathlib, re

root = pathlib.Path(__file__).resolve().parents[1]
fixtures = root.parent / "carbonext-api" / "tests" / "fixtures"
corpus = root / "corpus"

# Selector byte of each operation's response type, as in fuzz_targets/responses.rs.
SELECTORS = {
    "get_price": 0, "create_order": 1, "cancel_order": 1, "list_orders": 2, "cancel_orders": 3,
    "get_balance": 4, "get_invoice": 5, "list_invoices": 6, "get_user": 7, "create_user": 7,
    "list_users": 8, "get_application": 9, "create_application": 10, "list_applications": 11,
    "list_permissions": 12, "list_resources": 13, "get_allowed_filters": 14,
    "list_calculator_types": 15, "list_airports": 16, "calculate_emission": 17,
    "request_token": 18, "delete_user": 21,
}

def write(target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data)

timestamps, numbers = set(), set()
for path in sorted(fixtures.glob("*.response.json")):
    op = path.name.split(".")[0]
    raw = path.read_bytes()
    if op in SELECTORS:
        write("responses", path.stem.replace(".", "-"), bytes([SELECTORS[op]]) + raw)
    text = raw.decode()
    timestamps.update(re.findall(r'"(\d{4}-\d\d-\d\d(?:T[0-9:.]+Z?)?)"', text))
    numbers.update(re.findall(r'(?<![\w."])-?\d+\.\d+(?:[eE][-+]?\d+)?', text))

# Shapes the docs describe but the fixtures may not carry.
write("responses", "problem-details", bytes([19]) + json.dumps({
    "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1", "title": "One or more validation errors occurred.",
    "status": 400, "traceId": "00-abc-def-00", "errors": {"VcuAmount": ["must be > 0"]}}).encode())
write("responses", "oauth-error", bytes([20]) + b'{"error":"invalid_client","error_description":"Invalid client credentials"}')
timestamps.update(["2022-07-24T18:26:44.417678", "2022-07-24T18:26:44.4176783Z", "2022-07-24",
                   "2022-07-24T18:26:44+03:00", "2022-07-24T18:26:44"])
numbers.update(["0.02", "1234567890.123456789", "195.7295744096000", "37.53443683424", "1e3", "-0.0"])
for i, t in enumerate(sorted(timestamps)):
    write("timestamp", str(i), t.encode())
for i, n in enumerate(sorted(numbers)):
    write("decimal", str(i), n.encode())
print({d.name: len(list(d.iterdir())) for d in corpus.iterdir()})
