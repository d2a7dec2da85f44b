"""``odds deploy ecs``: everything an ECS flow run needs, created or brought up to date.

AWS: the results bucket, the two secrets, the execution and task roles, the cluster.
Prefect: the ``s3-bucket/oddscore-results`` result-storage block, the ``odds-ecs`` work
pool (type ``ecs``, template from :mod:`oddscore.deploy.ecs_template`) and the
``odds_ecs_image`` variable that prefect.yaml's build step reads.

Re-running it never duplicates anything: each step looks first and reports ``created``,
``updated`` or ``unchanged``. Secret values come from the environment of the command and go
only to Secrets Manager; they are never printed and never reach Prefect.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from oddscore.deploy.ecs_template import SECRET_VARIABLES, EcsPoolDefaults, ecs_job_template
from oddscore.exceptions import ConfigurationError
from oddscore.logs import register_secret

__all__ = [
    "IMAGE_VARIABLE",
    "POOL_NAME",
    "RESULTS_BLOCK",
    "EcsSetup",
    "Step",
    "events_queue_name",
    "setup_ecs",
]

POOL_NAME = "odds-ecs"
# prefect.yaml's ECS job variables name this block (PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK)
RESULTS_BLOCK = "oddscore-results"
IMAGE_VARIABLE = "odds_ecs_image"

# the `odds deploy ecs` option that names an existing secret instead
_SECRET_OPTIONS = {
    "ODDS_API_KEY": "--api-key-secret-arn",
    "DATABASE_URL": "--database-url-secret-arn",
}
_EXECUTION_MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
_ECS_TASKS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True, slots=True)
class EcsSetup:
    """What the operator chose; ARNs given here are used as they are, not created."""

    region: str
    bucket: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...] = ()
    assign_public_ip: bool = True
    cluster: str = "oddscore"
    pool: str = POOL_NAME
    image: str | None = None
    prefix: str = "oddscore"
    execution_role_arn: str | None = None
    task_role_arn: str | None = None
    secret_arns: Mapping[str, str] = field(default_factory=dict)
    prefect_api_key_secret_arn: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One thing the command looked at: what, its name, what it did, its ARN or a note."""

    kind: str
    name: str
    action: str
    detail: str = ""


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _ensure_bucket(s3: Any, bucket: str, region: str) -> Step:
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
        action = "unchanged"
    except ClientError as exc:
        if _error_code(exc) not in {"404", "NoSuchBucket", "NotFound"}:
            raise
        extra = (
            {}
            if region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        s3.create_bucket(Bucket=bucket, **extra)
        action = "created"
    # paid responses and results live here: never public (idempotent, so always applied)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    return Step("S3 bucket", bucket, action, f"arn:aws:s3:::{bucket}")


def _ensure_secret(sm: Any, name: str, env_name: str, value: str | None) -> Step:
    from botocore.exceptions import ClientError

    try:
        arn = sm.describe_secret(SecretId=name)["ARN"]
    except ClientError as exc:
        if _error_code(exc) != "ResourceNotFoundException":
            raise
        if not value:
            raise ConfigurationError(
                f"{env_name} is not set and the secret {name!r} does not exist: export "
                f"{env_name} for this command, or pass {_SECRET_OPTIONS[env_name]} with the "
                "ARN of an existing secret"
            ) from None
        arn = sm.create_secret(Name=name, SecretString=value)["ARN"]
        return Step("secret", name, "created", arn)
    if not value:
        return Step("secret", name, "unchanged", arn)
    try:
        current = sm.get_secret_value(SecretId=name).get("SecretString")
    except ClientError as exc:
        if _error_code(exc) != "ResourceNotFoundException":  # a secret without a value yet
            raise
        current = None
    if current == value:
        return Step("secret", name, "unchanged", arn)
    sm.put_secret_value(SecretId=name, SecretString=value)
    return Step("secret", name, "updated", arn)


def _ensure_role(
    iam: Any, name: str, *, managed: tuple[str, ...], inline: Mapping[str, dict[str, Any]]
) -> Step:
    from botocore.exceptions import ClientError

    changed = False
    try:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
        action = "unchanged"
    except ClientError as exc:
        if _error_code(exc) != "NoSuchEntity":
            raise
        arn = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(_ECS_TASKS_TRUST),
            Description="oddscore flow runs on ECS (odds deploy ecs)",
        )["Role"]["Arn"]
        action = "created"
    attached = {
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    }
    for policy in managed:
        if policy not in attached:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy)
            changed = True
    for policy_name, document in inline.items():
        try:
            current = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        except ClientError as exc:
            if _error_code(exc) != "NoSuchEntity":
                raise
            current = None
        if isinstance(current, str):
            current = json.loads(current)
        if current != document:
            iam.put_role_policy(
                RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document)
            )
            changed = True
    if action == "unchanged" and changed:
        action = "updated"
    return Step("IAM role", name, action, arn)


def _secret_read_policy(arns: list[str]) -> dict[str, Any]:
    """What the execution role needs at task start: read exactly these secrets, make logs."""
    statements: list[dict[str, Any]] = []
    managers = [a for a in arns if a.startswith("arn:aws:secretsmanager:")]
    parameters = [a for a in arns if a.startswith("arn:aws:ssm:")]
    if managers:
        statements.append(
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": managers}
        )
    if parameters:
        statements.append(
            {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": parameters}
        )
    # the worker's task definitions use awslogs-create-group (configure_cloudwatch_logs)
    statements.append({"Effect": "Allow", "Action": ["logs:CreateLogGroup"], "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


def _results_policy(bucket: str) -> dict[str, Any]:
    """What a flow run needs while it runs: the result storage (paid-call cache), no more."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": f"arn:aws:s3:::{bucket}"},
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": f"arn:aws:s3:::{bucket}/*",
            },
        ],
    }


def _ecr_repository(image: str) -> tuple[str, str] | None:
    """(region, repository) of an ECR image reference; None for any other registry."""
    registry, _, rest = image.partition("/")
    parts = registry.split(".")
    if len(parts) < 6 or parts[1:3] != ["dkr", "ecr"] or not rest:
        return None
    repository = rest.split("@", 1)[0].rsplit(":", 1)[0] if ":" in rest else rest
    return parts[3], repository


def _ensure_repository(session: Any, image: str) -> Step | None:
    """The ECR repository the build step pushes to (other registries are the operator's)."""
    from botocore.exceptions import ClientError

    found = _ecr_repository(image)
    if found is None:
        return None
    region, name = found
    ecr = session.client("ecr", region_name=region)
    try:
        arn = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryArn"]
        return Step("ECR repository", name, "unchanged", arn)
    except ClientError as exc:
        if _error_code(exc) != "RepositoryNotFoundException":
            raise
    arn = ecr.create_repository(
        repositoryName=name, imageScanningConfiguration={"scanOnPush": True}
    )["repository"]["repositoryArn"]
    return Step("ECR repository", name, "created", arn)


def _ensure_cluster(ecs: Any, name: str) -> Step:
    found = ecs.describe_clusters(clusters=[name])["clusters"]
    active = [c for c in found if c.get("status") == "ACTIVE"]
    if active:
        return Step("ECS cluster", name, "unchanged", active[0]["clusterArn"])
    arn = ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]
    return Step("ECS cluster", name, "created", arn)


def events_queue_name(pool: str) -> str:
    """The SQS queue of the pool's ECS task events (prefect-aws's own naming)."""
    return f"{pool}-ecs-events"


def _ensure_task_events(session: Any, pool: str, cluster_arn: str) -> Step:
    """ECS task state changes of the cluster -> EventBridge -> an SQS queue, which the
    worker's ECS observer reads: a task that stops (OOM, lost host, stopped by hand) before
    its flow run finished gets that run marked Crashed, freeing its concurrency slot."""
    from botocore.exceptions import ClientError

    sqs, events = session.client("sqs"), session.client("events")
    name, rule = events_queue_name(pool), f"{pool}-ecs-task-events"
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        action = "unchanged"
    except ClientError as exc:
        if _error_code(exc) not in {
            "AWS.SimpleQueueService.NonExistentQueue",
            "QueueDoesNotExist",
        }:
            raise
        url = sqs.create_queue(
            QueueName=name, Attributes={"MessageRetentionPeriod": str(7 * 24 * 3600)}
        )["QueueUrl"]
        action = "created"
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    pattern = {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {"clusterArn": [cluster_arn]},
    }
    try:
        current = events.describe_rule(Name=rule)
        same = json.loads(current.get("EventPattern") or "{}") == pattern
    except ClientError as exc:
        if _error_code(exc) != "ResourceNotFoundException":
            raise
        same = False
    rule_arn = events.put_rule(
        Name=rule,
        EventPattern=json.dumps(pattern),
        State="ENABLED",
        Description="ECS task state changes for the Prefect ECS worker's observer",
    )["RuleArn"]
    targets = events.list_targets_by_rule(Rule=rule)["Targets"]
    if not same or [t["Arn"] for t in targets] != [queue_arn]:
        events.put_targets(Rule=rule, Targets=[{"Id": "prefect-ecs-observer", "Arn": queue_arn}])
        action = "updated" if action == "unchanged" else action
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return Step("ECS task events", name, action, queue_arn)


def _setup_aws(setup: EcsSetup, environ: Mapping[str, str]) -> tuple[list[Step], EcsPoolDefaults]:
    import boto3

    session = boto3.session.Session(region_name=setup.region)
    steps = [_ensure_bucket(session.client("s3"), setup.bucket, setup.region)]

    secret_arns: dict[str, str] = {}
    sm = session.client("secretsmanager")
    for env_name in SECRET_VARIABLES:
        given = setup.secret_arns.get(env_name)
        if given:
            secret_arns[env_name] = given
            steps.append(Step("secret", env_name, "given", given))
            continue
        value = environ.get(env_name) or None
        register_secret(value)
        step = _ensure_secret(sm, f"{setup.prefix}/{env_name}", env_name, value)
        secret_arns[env_name] = step.detail
        steps.append(step)

    readable = sorted(secret_arns.values())
    if setup.prefect_api_key_secret_arn:
        readable.append(setup.prefect_api_key_secret_arn)
    iam = session.client("iam")
    execution_role_arn = setup.execution_role_arn
    if execution_role_arn is None:
        step = _ensure_role(
            iam,
            f"{setup.prefix}-ecs-execution",
            managed=(_EXECUTION_MANAGED_POLICY,),
            inline={"oddscore-secrets": _secret_read_policy(readable)},
        )
        execution_role_arn = step.detail
        steps.append(step)
    task_role_arn = setup.task_role_arn
    if task_role_arn is None:
        step = _ensure_role(
            iam,
            f"{setup.prefix}-ecs-task",
            managed=(),
            inline={"oddscore-results": _results_policy(setup.bucket)},
        )
        task_role_arn = step.detail
        steps.append(step)

    cluster = _ensure_cluster(session.client("ecs"), setup.cluster)
    steps.append(cluster)
    steps.append(_ensure_task_events(session, setup.pool, cluster.detail))
    repository = _ensure_repository(session, setup.image) if setup.image else None
    if repository is not None:
        steps.append(repository)
    defaults = EcsPoolDefaults(
        cluster=setup.cluster,
        execution_role_arn=execution_role_arn,
        task_role_arn=task_role_arn,
        secret_arns=secret_arns,
        subnets=setup.subnets,
        security_groups=setup.security_groups,
        assign_public_ip=setup.assign_public_ip,
        image=setup.image,
        prefect_api_key_secret_arn=setup.prefect_api_key_secret_arn,
    )
    return steps, defaults


async def _ensure_results_block(bucket: str, region: str) -> Step:
    from prefect_aws import AwsCredentials, S3Bucket

    # No keys in the block: on ECS the task role gives the credentials.
    try:
        current = await S3Bucket.aload(RESULTS_BLOCK)
    except ValueError:  # no such block
        current = None
    if (
        current is not None
        and current.bucket_name == bucket
        and current.credentials.region_name == region
    ):
        return Step("result storage", f"s3-bucket/{RESULTS_BLOCK}", "unchanged", f"s3://{bucket}")
    block = S3Bucket(bucket_name=bucket, credentials=AwsCredentials(region_name=region))
    await block.asave(RESULTS_BLOCK, overwrite=True)
    action = "created" if current is None else "updated"
    return Step("result storage", f"s3-bucket/{RESULTS_BLOCK}", action, f"s3://{bucket}")


async def _ensure_image_variable(image: str | None) -> tuple[Step, str | None]:
    from prefect.variables import Variable

    current = await Variable.aget(IMAGE_VARIABLE, default=None)  # type: ignore[func-returns-value]
    if image is None:
        if current is None:
            return Step("variable", IMAGE_VARIABLE, "not set", "pass --image"), None
        return Step("variable", IMAGE_VARIABLE, "unchanged", str(current)), str(current)
    if current == image:
        return Step("variable", IMAGE_VARIABLE, "unchanged", image), image
    await Variable.aset(IMAGE_VARIABLE, image, overwrite=True)
    return Step(
        "variable", IMAGE_VARIABLE, "created" if current is None else "updated", image
    ), image


async def _ensure_pool(name: str, template: dict[str, Any]) -> Step:
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound

    async with get_client() as client:
        try:
            pool = await client.read_work_pool(name)
        except ObjectNotFound:
            await client.create_work_pool(
                WorkPoolCreate(name=name, type="ecs", base_job_template=template)
            )
            return Step("work pool", name, "created", "type ecs")
        if pool.type != "ecs":
            raise ConfigurationError(
                f"work pool {name!r} exists with type {pool.type!r}, not 'ecs': "
                "delete it or choose another --pool"
            )
        if pool.base_job_template == template:
            return Step("work pool", name, "unchanged", "type ecs")
        await client.update_work_pool(name, WorkPoolUpdate(base_job_template=template))
        return Step("work pool", name, "updated", "type ecs")


async def setup_ecs(setup: EcsSetup, environ: Mapping[str, str]) -> list[Step]:
    """Create or update the AWS resources, then the Prefect objects; what each step did."""
    if not setup.subnets:
        raise ConfigurationError("give at least one --subnet (Fargate tasks need awsvpc)")
    from prefect_aws.workers.ecs_worker import ECSWorker

    steps, defaults = _setup_aws(setup, environ)
    steps.append(await _ensure_results_block(setup.bucket, setup.region))
    variable, image = await _ensure_image_variable(setup.image)
    steps.append(variable)
    defaults = replace(defaults, image=image)
    template = ecs_job_template(ECSWorker.get_default_base_job_template(), defaults)
    steps.append(await _ensure_pool(setup.pool, template))
    return steps
