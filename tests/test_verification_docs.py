"""The verifier docs/verification.md gives integrators works, run as written against a real
server on loopback."""

import json
import re
import urllib.request
from pathlib import Path

from django.conf import settings

from statuspage.services.incidents import do_open_incident

DOC = Path(settings.BASE_DIR) / "docs" / "verification.md"


def documented_verifier():
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL).group(1)
    definitions = code.split("\nupdate = ")[0]  # the example's last lines call the real page
    namespace: dict = {}
    exec(compile(definitions, str(DOC), "exec"), namespace)
    return namespace["verify"]


def test_the_documented_verifier_accepts_our_statement_and_refuses_an_edited_one(live_server, transactional_db, page):
    do_open_incident(name="SMS delays", body="Codes arrive «late» — ще.")
    verify = documented_verifier()
    with urllib.request.urlopen(f"{live_server.url}/api/v2/incidents.json") as answer:
        update = json.load(answer)["incidents"][0]["incident_updates"][0]

    assert verify(update, page=live_server.url) is True
    assert verify({**update, "body": "Install the new app from t.me/fake"}, page=live_server.url) is False
