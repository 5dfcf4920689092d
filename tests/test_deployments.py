"""`efc serve`'s deployments are built from prefect.yaml, the one statement of the schedules:
both build without a Prefect server and say what the file says."""

from __future__ import annotations

import yaml
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.deployments import PREFECT_YAML, deployments


def test_deployments_build_without_a_server_and_match_prefect_yaml():
    declared = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))["deployments"]
    # Nothing listens on port 9: a call to an API would fail the test.
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        built = deployments()

    assert [d.name for d in built] == [e["name"] for e in declared] == [
        "nightly-aggregation", "quarterly-assessment"]
    for deployment, entry in zip(built, declared, strict=True):
        assert deployment.flow_name == entry["name"]  # the entrypoint names the right flow
        assert [(s.schedule.cron, s.schedule.timezone, s.parameters)
                for s in deployment.schedules] == [
            (s["cron"], s["timezone"], s.get("parameters", {})) for s in entry["schedules"]]
        assert deployment.parameters == entry.get("parameters", {})
        assert deployment.concurrency_limit == entry.get("concurrency_limit")
        assert deployment.description == entry["description"]
        assert deployment.tags == entry["tags"]


def test_a_change_in_prefect_yaml_reaches_the_served_deployments(tmp_path):
    text = PREFECT_YAML.read_text(encoding="utf-8").replace('"0 2 * * *"', '"30 3 * * *"')
    changed = tmp_path / "prefect.yaml"
    changed.write_text(text, encoding="utf-8")
    nightly = deployments(changed)[0]
    assert nightly.schedules[0].schedule.cron == "30 3 * * *"
    assert nightly.schedules[0].parameters == {"run_label": "scheduled"}
    assert nightly.parameters == {}  # a run started by hand is labelled "manual"
