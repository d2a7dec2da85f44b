"""``odds deploy``: set up where the flows run (imports Prefect and boto3: not a query)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from oddscore.cli.common import (
    JsonOption,
    console,
    fail,
    handle_errors,
    print_json,
    print_table,
    run,
)

app = typer.Typer(help="Set up where the Prefect flows run.", no_args_is_help=True)


@app.command("ecs")
@handle_errors
def ecs(
    bucket: Annotated[
        str, typer.Option(help="S3 bucket of the result storage (created if missing).")
    ],
    region: Annotated[str, typer.Option(help="AWS region of everything created.")],
    subnet: Annotated[
        list[str], typer.Option("--subnet", help="Subnet ID of the tasks (repeat for more).")
    ],
    security_group: Annotated[
        list[str] | None,
        typer.Option("--security-group", help="Security group ID of the tasks (repeatable)."),
    ] = None,
    public_ip: Annotated[
        bool,
        typer.Option(
            "--public-ip/--no-public-ip",
            help="Give tasks a public IP (public subnet, no NAT gateway).",
        ),
    ] = True,
    cluster: Annotated[str, typer.Option(help="ECS cluster (created if missing).")] = "oddscore",
    image: Annotated[
        str | None,
        typer.Option(
            help="Image of the flow runs, e.g. ACCOUNT.dkr.ecr.REGION.amazonaws.com/oddscore:TAG."
        ),
    ] = None,
    pool: Annotated[str, typer.Option(help="Prefect work pool (type ecs).")] = "odds-ecs",
    prefix: Annotated[str, typer.Option(help="Prefix of the secret and role names.")] = "oddscore",
    execution_role_arn: Annotated[
        str | None, typer.Option(help="Use this execution role instead of creating one.")
    ] = None,
    task_role_arn: Annotated[
        str | None, typer.Option(help="Use this task role instead of creating one.")
    ] = None,
    api_key_secret_arn: Annotated[
        str | None,
        typer.Option(help="Existing secret (or SSM parameter) ARN holding ODDS_API_KEY."),
    ] = None,
    database_url_secret_arn: Annotated[
        str | None,
        typer.Option(help="Existing secret (or SSM parameter) ARN holding DATABASE_URL."),
    ] = None,
    prefect_api_key_secret_arn: Annotated[
        str | None,
        typer.Option(
            help="Prefect Cloud: secret ARN holding PREFECT_API_KEY, so the worker does not "
            "pass its key to the task as a plain environment value."
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Create or update the AWS and Prefect side of ECS runs; print what it did.

    ODDS_API_KEY and DATABASE_URL of this shell go to Secrets Manager (PREFIX/NAME) and
    nowhere else. Also: the bucket, the execution and task roles, the cluster, its task-events
    queue, the ECR repository, the s3-bucket/oddscore-results block, the work pool and the
    odds_ecs_image variable. Re-running updates in place and duplicates nothing.

    Example: odds deploy ecs --bucket my-odds-results --region us-east-1 --subnet subnet-0abc
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from oddscore.deploy.ecs import EcsSetup, events_queue_name, setup_ecs

    secret_arns = {
        name: arn
        for name, arn in (
            ("ODDS_API_KEY", api_key_secret_arn),
            ("DATABASE_URL", database_url_secret_arn),
        )
        if arn
    }
    setup = EcsSetup(
        region=region,
        bucket=bucket,
        subnets=tuple(subnet),
        security_groups=tuple(security_group or ()),
        assign_public_ip=public_ip,
        cluster=cluster,
        pool=pool,
        image=image,
        prefix=prefix,
        execution_role_arn=execution_role_arn,
        task_role_arn=task_role_arn,
        secret_arns=secret_arns,
        prefect_api_key_secret_arn=prefect_api_key_secret_arn,
    )
    try:
        steps = run(setup_ecs(setup, os.environ))
    except (BotoCoreError, ClientError) as exc:
        raise fail(f"AWS: {exc}") from None
    rows = [
        {"what": s.kind, "name": s.name, "action": s.action, "arn / value": s.detail} for s in steps
    ]
    if json_output:
        print_json(rows)
        return
    print_table(rows, ["what", "name", "action", "arn / value"], title=f"ECS setup ({region})")
    console.print(
        "next: uv run prefect --no-prompt deploy --name '*-ecs'  (builds and pushes the image),"
        " then start the worker with"
        f" PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME={events_queue_name(pool)}:"
        f" uv run prefect worker start --pool {pool} --type ecs",
        highlight=False,
        soft_wrap=True,
    )


@app.command("local")
@handle_errors
def local(
    window: Annotated[
        int | None,
        typer.Option(
            "--window",
            min=60,
            help="Seconds a run may stay silent before the safety net marks it crashed "
            "(default SAFETY_NET_WINDOW_SECONDS, 300).",
        ),
    ] = None,
    project: Annotated[
        str, typer.Option(help="The folder holding prefect.yaml (default: this one).")
    ] = ".",
    json_output: JsonOption = False,
) -> None:
    """Deploy every flow of prefect.yaml and create its safety net, in one idempotent step.

    Creates the work pools prefect.yaml names when they are missing, runs
    `prefect --no-prompt deploy --all` from the project folder, then replaces the safety-net
    automations (`odds safety-net apply`) on the server at PREFECT_API_URL.

    Example: odds deploy local --window 300
    """
    from dataclasses import asdict
    from datetime import timedelta
    from pathlib import Path

    from oddscore.config import get_settings
    from oddscore.orchestration.local_deploy import deploy_local

    seconds = window or get_settings().scheduler.safety_net_window_seconds
    done = run(
        deploy_local(
            os.environ.get("PREFECT_API_URL"),
            project=Path(project).resolve(),
            api_key=os.environ.get("PREFECT_API_KEY"),
            window=timedelta(seconds=seconds),
        )
    )
    if json_output:
        print_json(asdict(done))
        return
    net = done.safety_net
    rows = [("work pool", name, "created") for name in done.pools_created]
    rows += [("deployment", name, "deployed") for name in done.deployments]
    if net is not None:
        rows += [("automation", name, "created") for name in net.automations]
    print_table(rows, ["what", "name", "action"], title="deploy local")
    if net is not None:
        console.print(
            f"{len(net.chains)} chain(s) under the safety net; silent runs are crashed after "
            f"{net.window_seconds} s; {net.removed} older automation(s) replaced on "
            f"{net.api_url}. Start a worker: uv run prefect worker start --pool odds-local",
            highlight=False,
            soft_wrap=True,
        )
