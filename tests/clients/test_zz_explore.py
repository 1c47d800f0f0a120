import json
import logging
import time
import warnings
import pytest

pytestmark = [
    pytest.mark.filterwarnings("ignore:The osc_lib.version module is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The ClientCache class is deprecated:DeprecationWarning"),
]

def test_x(live_api, capsys, monkeypatch):
    from openstackclient import shell
    import osc_lib.logs
    monkeypatch.setattr(osc_lib.logs, "set_warning_filter", lambda level: None)
    def run(*args):
        t = time.monotonic()
        rc = shell.main(["--os-auth-type", "none", "--os-endpoint", live_api.v2, *args])
        out = capsys.readouterr()
        with capsys.disabled():
            print("RC", rc, time.monotonic() - t, out.out[:3000], out.err[-3000:])
        return out.out
    z = json.loads(run("zone", "create", "--email", "x@example.org", "ex1.org.", "-f", "json", "--sudo-project-id", "p1"))
    run("zone", "list", "-f", "json", "--sudo-project-id", "p1")
    run("zone", "list", "-f", "json", "--sudo-project-id", "p2")
    run("zone", "list", "-f", "json", "--all-projects")
    run("zone", "show", z["id"], "-f", "json", "--sudo-project-id", "p2")
    run("zone", "show", "ex1.org.", "-f", "json", "--sudo-project-id", "p2")
    run("recordset", "create", "ex1.org.", "www", "--type", "A", "--record", "192.0.2.1", "--record", "192.0.2.2", "-f", "json", "--sudo-project-id", "p1")
    run("recordset", "create", "ex1.org.", "txt", "--type", "TXT", "--record", '"v=spf1 -all"', "-f", "json", "--sudo-project-id", "p1")
    run("recordset", "create", "ex1.org.", "_sip._tcp.ex1.org.", "--type", "SRV", "--record", '10 60 5060 sip.ex1.org.', "-f", "json", "--sudo-project-id", "p1")
    run("recordset", "list", "ex1.org.", "-f", "json", "--sudo-project-id", "p1")
    run("recordset", "list", "all", "-f", "json", "--sudo-project-id", "p1")
    run("recordset", "set", "ex1.org.", "www.ex1.org.", "--ttl", "77", "--no-description", "-f", "json", "--sudo-project-id", "p1")
    run("recordset", "set", "ex1.org.", "www.ex1.org.", "--no-ttl", "-f", "json", "--sudo-project-id", "p1")
    run("recordset", "delete", "ex1.org.", "www.ex1.org.", "-f", "json", "--sudo-project-id", "p1")
    run("zone", "set", "ex1.org.", "--ttl", "600", "--email", "h@ex1.org", "--description", "hi", "-f", "json", "--sudo-project-id", "p1")
    run("zone", "delete", "ex1.org.", "-f", "json", "--sudo-project-id", "p1")
    run("--os-endpoint", live_api.root, "zone", "list", "-f", "json", "--sudo-project-id", "p1")
    assert 0
