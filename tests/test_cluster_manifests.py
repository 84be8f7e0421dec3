"""The Kubernetes recipe (autograder/cluster/grade-class-job.yaml) is read and rendered as a
cluster would: an Indexed Job whose every index grades its own shard of the class, a pod that runs
as no one special, and a NetworkPolicy that lets it reach only the gradebook and DNS (#27). No
cluster runs here: the shard each index computes is rendered by the same shell the pod uses."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "autograder" / "cluster" / "grade-class-job.yaml"
SECCOMP_PROFILES = REPO / "autograder" / "seccomp"


def documents() -> dict[str, dict]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(MANIFEST.read_text(encoding="utf-8"))}


def pod() -> dict:
    return documents()["Job"]["spec"]["template"]


def test_every_index_grades_its_own_shard():
    job = documents()["Job"]["spec"]
    assert job["completionMode"] == "Indexed" and job["completions"] == job["parallelism"]
    container = pod()["spec"]["containers"][0]
    assert container["command"] == ["sh", "-c"]
    env = {item["name"]: item for item in container["env"]}
    assert int(env["SHARDS"]["value"]) == job["completions"]
    # rendered as the pod's shell does, with the grader replaced by echo
    script = container["args"][0].replace("exec /course/.venv/bin/python -m nncourse.grading.grade_class", "echo")
    shards = [subprocess.run(["sh", "-c", script], env={"JOB_COMPLETION_INDEX": str(index), "SHARDS": env["SHARDS"]["value"]},
                             capture_output=True, text=True, check=True).stdout.split()
              for index in range(job["completions"])]
    given = [words[words.index("--shard") + 1] for words in shards]
    assert given == [f"{k}/{job['completions']}" for k in range(1, job["completions"] + 1)]
    assert all("--no-export" in words and "--root" in words for words in shards)


def test_the_gradebook_url_comes_from_a_secret_never_the_command_line():
    container = pod()["spec"]["containers"][0]
    url = next(item for item in container["env"] if item["name"] == "NNCOURSE_DB_URL")
    assert "secretKeyRef" in url["valueFrom"] and "value" not in url
    assert not re.search(r"postgres(ql)?(\+\w+)?://|--db-url\b", " ".join(container["args"]))


def test_the_pod_runs_with_no_privilege_and_the_courses_seccomp_profile():
    spec = pod()["spec"]
    security = spec["securityContext"]
    assert spec["hostUsers"] is False and spec["automountServiceAccountToken"] is False
    assert security["runAsNonRoot"] is True and security["runAsUser"] != 0
    assert security["seccompProfile"]["type"] == "Localhost"
    assert (SECCOMP_PROFILES / security["seccompProfile"]["localhostProfile"]).is_file()
    for container in spec["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"] and not context["capabilities"].get("add")
        assert context.get("privileged") is not True and context["readOnlyRootFilesystem"] is True
    assert "privileged: true" not in MANIFEST.read_text(encoding="utf-8")


def test_the_network_policy_lets_the_pods_reach_the_gradebook_and_dns_only():
    policy = documents()["NetworkPolicy"]["spec"]
    assert policy["podSelector"]["matchLabels"] == pod()["metadata"]["labels"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"} and policy["ingress"] == []
    reached = {(port["protocol"], port["port"]) for rule in policy["egress"] for port in rule["ports"]}
    assert reached == {("TCP", 5432), ("UDP", 53), ("TCP", 53)}
    targets = [target for rule in policy["egress"] for target in rule["to"]]
    assert all("ipBlock" not in target for target in targets)  # no address range, only the two services
