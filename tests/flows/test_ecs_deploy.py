"""ECS from the repo, against moto's ECS, IAM, Secrets Manager, S3 and EC2.

The "Run on ECS" commands of docs/deployment.md run as written (image build skipped with
``ODDS_IMAGE_PREBUILT=1``: no Docker engine here) against a moto server in this process, with
the session's Prefect test server: ``odds deploy ecs`` (twice: the second run changes
nothing), ``prefect deploy``, ``prefect deployment run`` and prefect-aws's real ECS worker
(``prefect worker start --type ecs --run-once``), which registers the task definition and
calls RunTask on moto. moto records every request it receives; the canary values of the API
key and the database URL must appear in none of them except the Secrets Manager call that
stores them, and nowhere in Prefect (deployment, job variables, flow-run parameters, work
pool, logs).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.flows.processes import ROOT, free_port

pytestmark = pytest.mark.slow

REGION = "us-east-1"
BUCKET = "oddscore-results-test"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/oddscore:test"
CANARY_KEY = "canary-odds-key-5f1e9b7c"
CANARY_PASSWORD = "canary-db-secret-83d2a6"
CANARY_URL = f"postgresql://odds:{CANARY_PASSWORD}@db.internal:5432/odds"
CANARIES = (CANARY_KEY, CANARY_PASSWORD)
BIN = Path(sys.executable).parent


@dataclass
class EcsRun:
    first: str  # table output of the first `odds deploy ecs`
    rerun: list[dict[str, str]]  # --json output of the second
    recording: list[dict[str, Any]]  # every request moto received, bodies decoded
    flow_run_id: str
    subnet: str
    security_group: str


def _patch_moto_fargate_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto sums container-level memory even for Fargate, where only the task's is required
    (prefect-aws sets only the task's): count a missing container value as 0."""
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def calculate(task_definition: Any) -> Any:
        containers = task_definition.container_definitions
        task_definition.container_definitions = [
            {**c, "memory": c.get("memory") or c.get("memoryReservation") or 0} for c in containers
        ]
        try:
            return original(task_definition)
        finally:
            task_definition.container_definitions = containers

    monkeypatch.setattr(
        EC2ContainerServiceBackend, "_calculate_task_resource_requirements", staticmethod(calculate)
    )


def _decoded(entry: dict[str, Any]) -> str:
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    return f"{entry.get('url', '')}\n{body}"


def _target(entry: dict[str, Any]) -> str:
    headers = entry.get("headers", {})
    return str(headers.get("X-Amz-Target") or f"{entry.get('method')} {entry.get('url')}")


def _cli(args: list[str], env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def ecs_run(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EcsRun]:
    from prefect.settings import PREFECT_API_URL

    tmp = tmp_path_factory.mktemp("ecs")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as mp:
        # read when moto's recorder is first imported: keep the recording out of the repo
        mp.setenv("MOTO_RECORDER_FILEPATH", str(tmp / "moto-recording.jsonl"))
        # AWS's managed policies exist in moto only on request (the execution role needs one)
        mp.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint,
        }.items():
            mp.setenv(name, value)
        mp.delenv("AWS_PROFILE", raising=False)
        from moto.server import ThreadedMotoServer

        _patch_moto_fargate_memory(mp)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        api_url = str(PREFECT_API_URL.value())
        try:
            yield _walk_through_readme(endpoint, api_url, tmp)
        finally:
            server.stop()
            _forget_ecs_deployments(api_url)


def _forget_ecs_deployments(api_url: str) -> None:
    """The session's server is shared: leave no ECS deployment or pending run to the others."""
    deployments = httpx.post(f"{api_url}/deployments/filter", json={}).json()
    ecs = [d["id"] for d in deployments if d["name"].endswith("-ecs")]
    runs = httpx.post(
        f"{api_url}/flow_runs/filter", json={"deployments": {"id": {"any_": ecs}}}
    ).json()
    for run in runs:
        httpx.delete(f"{api_url}/flow_runs/{run['id']}")
    for deployment in ecs:
        httpx.delete(f"{api_url}/deployments/{deployment}")


def _walk_through_readme(endpoint: str, api_url: str, tmp: Path) -> EcsRun:
    import boto3

    # The operator's network: moto's default VPC (DNS hostnames on, as in AWS).
    ec2 = boto3.client("ec2", region_name=REGION)
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])[
        "Subnets"
    ][0]
    group = ec2.create_security_group(
        GroupName="oddscore-tasks", Description="odds flow runs", VpcId=subnet["VpcId"]
    )["GroupId"]
    httpx.post(f"{endpoint}/moto-api/recorder/reset-recording").raise_for_status()
    httpx.post(f"{endpoint}/moto-api/recorder/start-recording").raise_for_status()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ODDS_", "DATABASE_"))}
    env.update(
        PREFECT_API_URL=api_url,
        PWD=str(ROOT),
        PATH=f"{BIN}:{env.get('PATH', '')}",
        ODDS_ENV_FILE="",
        COLUMNS="250",  # Rich's tables: one line per row
        # docs/deployment.md step 3: the worker's observer reads the queue `odds deploy ecs` created
        PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME="odds-ecs-ecs-events",
    )
    # The operator's shell has the secrets; so does the worker's, which must not pass them on.
    secret_env = {**env, "ODDS_API_KEY": CANARY_KEY, "DATABASE_URL": CANARY_URL}
    deploy = [
        str(BIN / "odds"),
        "deploy",
        "ecs",
        "--bucket",
        BUCKET,
        "--region",
        REGION,
        "--subnet",
        subnet["SubnetId"],
        "--security-group",
        group,
        "--image",
        IMAGE,
    ]
    first = _cli(deploy, secret_env)
    rerun = json.loads(_cli([*deploy, "--json"], secret_env))
    _cli(
        [str(BIN / "prefect"), "--no-prompt", "deploy", "--name", "*-ecs"],
        {**env, "ODDS_IMAGE_PREBUILT": "1"},
    )
    _cli([str(BIN / "prefect"), "deployment", "run", "fetch-odds/fetch-odds-ecs"], env)
    runs = httpx.post(
        f"{api_url}/flow_runs/filter",
        json={"deployments": {"name": {"any_": ["fetch-odds-ecs"]}}},
    ).json()
    assert len(runs) == 1, runs
    flow_run_id = str(runs[0]["id"])
    _cli(
        [
            str(BIN / "prefect"),
            "worker",
            "start",
            "--pool",
            "odds-ecs",
            "--type",
            "ecs",
            "--run-once",
        ],
        {**secret_env, "PREFECT_WORKER_PREFETCH_SECONDS": "60"},
    )
    httpx.post(f"{endpoint}/moto-api/recorder/stop-recording").raise_for_status()
    text = httpx.get(f"{endpoint}/moto-api/recorder/download-recording").text
    recording = [json.loads(line) for line in text.splitlines() if line.strip()]
    return EcsRun(first, rerun, recording, flow_run_id, subnet["SubnetId"], group)


def test_deploy_ecs_prints_what_it_created_and_a_rerun_changes_nothing(ecs_run: EcsRun) -> None:
    for kind in (
        "S3 bucket",
        "secret",
        "IAM role",
        "ECS cluster",
        "ECS task events",
        "ECR repository",
        "result storage",
        "work pool",
        "variable",
    ):
        assert kind in ecs_run.first
    assert "created" in ecs_run.first
    assert all(CANARY not in ecs_run.first for CANARY in CANARIES)
    assert {row["action"] for row in ecs_run.rerun} == {"unchanged"}
    assert [row["what"] for row in ecs_run.rerun].count("secret") == 2

    import boto3

    secrets = boto3.client("secretsmanager", region_name=REGION).list_secrets()["SecretList"]
    assert sorted(s["Name"] for s in secrets) == ["oddscore/DATABASE_URL", "oddscore/ODDS_API_KEY"]
    # the cluster's task state changes reach the worker's observer through the queue
    events = boto3.client("events", region_name=REGION)
    rule = events.describe_rule(Name="odds-ecs-ecs-task-events")
    cluster = boto3.client("ecs", region_name=REGION).describe_clusters(clusters=["oddscore"])
    assert json.loads(rule["EventPattern"])["detail"] == {
        "clusterArn": [cluster["clusters"][0]["clusterArn"]]
    }
    queue = boto3.client("sqs", region_name=REGION).get_queue_url(QueueName="odds-ecs-ecs-events")
    (target,) = events.list_targets_by_rule(Rule="odds-ecs-ecs-task-events")["Targets"]
    assert target["Arn"].endswith(":odds-ecs-ecs-events") and queue["QueueUrl"]
    # docs/deployment.md step 3: the worker's observer polls that queue (it starts with the worker)
    polls = [e for e in ecs_run.recording if _target(e) == "AmazonSQS.ReceiveMessage"]
    assert polls and all("odds-ecs-ecs-events" in _decoded(e) for e in polls)
    roles = boto3.client("iam").list_roles()["Roles"]
    assert sorted(r["RoleName"] for r in roles if r["RoleName"].startswith("oddscore")) == [
        "oddscore-ecs-execution",
        "oddscore-ecs-task",
    ]


def test_the_task_definition_takes_both_secrets_from_secrets_manager(ecs_run: EcsRun) -> None:
    import boto3

    registered = [
        json.loads(_decoded(e).split("\n", 1)[1])
        for e in ecs_run.recording
        if _target(e).endswith(".RegisterTaskDefinition")
    ]
    assert len(registered) == 1
    secretsmanager = boto3.client("secretsmanager", region_name=REGION)
    arns = {
        name: secretsmanager.describe_secret(SecretId=f"oddscore/{name}")["ARN"]
        for name in ("ODDS_API_KEY", "DATABASE_URL")
    }
    (container,) = registered[0]["containerDefinitions"]
    assert sorted(container["secrets"], key=lambda s: s["name"]) == [
        {"name": "DATABASE_URL", "valueFrom": arns["DATABASE_URL"]},
        {"name": "ODDS_API_KEY", "valueFrom": arns["ODDS_API_KEY"]},
    ]
    assert container["image"] == IMAGE
    iam = boto3.client("iam")
    assert (
        registered[0]["executionRoleArn"]
        == iam.get_role(RoleName="oddscore-ecs-execution")["Role"]["Arn"]
    )
    # the execution role may read exactly these two secrets
    policy = iam.get_role_policy(RoleName="oddscore-ecs-execution", PolicyName="oddscore-secrets")
    read = policy["PolicyDocument"]["Statement"][0]
    assert read["Action"] == ["secretsmanager:GetSecretValue"]
    assert sorted(read["Resource"]) == sorted(arns.values())
    # and the stored values are the ones the operator's shell had
    assert secretsmanager.get_secret_value(SecretId=arns["ODDS_API_KEY"])["SecretString"] == (
        CANARY_KEY
    )

    (run_task,) = [
        json.loads(_decoded(e).split("\n", 1)[1])
        for e in ecs_run.recording
        if _target(e).endswith(".RunTask")
    ]
    network = run_task["networkConfiguration"]["awsvpcConfiguration"]
    assert network == {
        "subnets": [ecs_run.subnet],
        "securityGroups": [ecs_run.security_group],
        "assignPublicIp": "ENABLED",
    }
    assert (
        run_task["overrides"]["taskRoleArn"]
        == iam.get_role(RoleName="oddscore-ecs-task")["Role"]["Arn"]
    )
    assert run_task["cluster"] == "oddscore"


def test_secret_values_reach_only_secrets_manager(ecs_run: EcsRun) -> None:
    carrying = {_target(e) for e in ecs_run.recording if any(c in _decoded(e) for c in CANARIES)}
    assert carrying == {"secretsmanager.CreateSecret"}
    # the search is meaningful: the ECS calls were recorded, with the flow run's environment
    run_task = next(e for e in ecs_run.recording if _target(e).endswith(".RunTask"))
    assert ecs_run.flow_run_id in _decoded(run_task)
    assert "PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK" in _decoded(run_task)


async def test_prefect_holds_no_secret_value(ecs_run: EcsRun) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    async with get_client() as client:
        run = await client.read_flow_run(ecs_run.flow_run_id)
        pool = await client.read_work_pool("odds-ecs")
        logs = await client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]))
        )
        variables = await client.read_variables()
        deployments = await client.read_deployments()
    ecs = sorted(d.name for d in deployments if d.name.endswith("-ecs"))
    assert len(ecs) == 5, ecs
    # the worker submitted the run to ECS (moto's task ARN is its infrastructure id)
    assert run.infrastructure_pid is not None and ":task/oddscore/" in run.infrastructure_pid
    stored = "\n".join(
        [
            run.model_dump_json(),
            *(d.model_dump_json() for d in deployments),
            json.dumps(pool.base_job_template),
            *(log.message for log in logs),
            *(json.dumps(v.value) for v in variables),
        ]
    )
    # the worker's own lines about this run are among the logs searched
    assert any("Creating ECS task run" in log.message for log in logs)
    assert all(canary not in stored for canary in CANARIES)


async def test_the_result_storage_block_writes_and_reads_the_bucket(ecs_run: EcsRun) -> None:
    import boto3
    from prefect_aws import S3Bucket

    del ecs_run  # created it
    block = await S3Bucket.aload("oddscore-results")
    await block.awrite_path("checks/ecs-test.txt", b"paid response")
    assert await block.aread_path("checks/ecs-test.txt") == b"paid response"
    stored = boto3.client("s3", region_name=REGION).get_object(
        Bucket=BUCKET, Key="checks/ecs-test.txt"
    )
    assert stored["Body"].read() == b"paid response"
