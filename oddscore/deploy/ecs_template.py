"""The ECS work pool's base job template: prefect-aws's own, plus secrets and networking.

Pure data in, data out (the default template is passed in), so it is testable without AWS.

What it adds to prefect-aws's template:

* ``secrets`` on the flow container of the task definition: ``ODDS_API_KEY`` and
  ``DATABASE_URL`` come ``valueFrom`` Secrets Manager (or SSM Parameter Store) ARNs, read by
  the ECS agent with the *execution role* when the task starts. The values never appear in
  the task definition, the RunTask call, the job variables or the flow-run parameters.
* ``networkConfiguration`` of the RunTask call from three plain job variables (``subnets``,
  ``security_groups``, ``assign_public_ip``), so the worker never guesses a default VPC.
* Defaults of the job variables (image, cluster, roles, secret ARNs, network) from what
  ``odds deploy ecs`` created, so a deployment needs none of them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from oddscore.exceptions import ConfigurationError

__all__ = ["SECRET_VARIABLES", "EcsPoolDefaults", "ecs_job_template"]

# environment name in the container -> job variable holding the ARN it is read from
SECRET_VARIABLES: dict[str, str] = {
    "ODDS_API_KEY": "odds_api_key_secret_arn",
    "DATABASE_URL": "database_url_secret_arn",
}


@dataclass(frozen=True, slots=True)
class EcsPoolDefaults:
    """The values a flow run gets unless its deployment or the run overrides them."""

    cluster: str
    execution_role_arn: str
    task_role_arn: str
    secret_arns: Mapping[str, str]  # keyed by the environment names of SECRET_VARIABLES
    subnets: Sequence[str]
    security_groups: Sequence[str] = ()
    assign_public_ip: bool = True
    image: str | None = None
    # Prefect Cloud: the worker would pass its PREFECT_API_KEY as a plain RunTask override;
    # prefect-aws reads it from this secret instead when set.
    prefect_api_key_secret_arn: str | None = None


def _placeholder(variable: str) -> str:
    return "{{ " + variable + " }}"


def ecs_job_template(default: Mapping[str, Any], defaults: EcsPoolDefaults) -> dict[str, Any]:
    """prefect-aws's ``default`` base job template with secrets, networking and defaults."""
    missing = sorted(set(SECRET_VARIABLES) - set(defaults.secret_arns))
    if missing:
        raise ConfigurationError(f"no secret ARN for {', '.join(missing)}")
    if not defaults.subnets:
        raise ConfigurationError(
            "at least one subnet is needed (Fargate tasks use the awsvpc network)"
        )
    template = copy.deepcopy(dict(default))
    config = template["job_configuration"]
    container = config["task_definition"]["containerDefinitions"][0]
    container["secrets"] = [
        {"name": name, "valueFrom": _placeholder(variable)}
        for name, variable in SECRET_VARIABLES.items()
    ]
    config["task_run_request"]["networkConfiguration"] = {
        "awsvpcConfiguration": {
            "subnets": _placeholder("subnets"),
            "securityGroups": _placeholder("security_groups"),
            "assignPublicIp": _placeholder("assign_public_ip"),
        }
    }

    properties = template["variables"]["properties"]
    for name, variable in SECRET_VARIABLES.items():
        properties[variable] = {
            "title": f"{name} secret ARN",
            "type": "string",
            "default": defaults.secret_arns[name],
            "description": (
                f"ARN of the Secrets Manager secret (or SSM parameter) that holds {name}. "
                "The ECS agent reads it with the execution role when the task starts; "
                "never put the value itself in `env`."
            ),
        }
    properties["subnets"] = {
        "title": "Subnets",
        "type": "array",
        "items": {"type": "string"},
        "default": list(defaults.subnets),
        "description": "Subnet IDs of the task's network interface (awsvpc).",
    }
    properties["security_groups"] = {
        "title": "Security groups",
        "type": "array",
        "items": {"type": "string"},
        "default": list(defaults.security_groups),
        "description": (
            "Security group IDs of the task; empty means the VPC's default group. The task "
            "needs outbound HTTPS (the odds API, the Prefect API, ECR, S3) and the database."
        ),
    }
    properties["assign_public_ip"] = {
        "title": "Public IP",
        "type": "string",
        "enum": ["ENABLED", "DISABLED"],
        "default": "ENABLED" if defaults.assign_public_ip else "DISABLED",
        "description": (
            "ENABLED in a public subnet (how the task reaches ECR and the APIs); DISABLED in "
            "a private subnet with a NAT gateway or VPC endpoints."
        ),
    }
    properties["cluster"]["default"] = defaults.cluster
    properties["execution_role_arn"]["default"] = defaults.execution_role_arn
    properties["task_role_arn"]["default"] = defaults.task_role_arn
    if defaults.image:
        properties["image"]["default"] = defaults.image
    if defaults.prefect_api_key_secret_arn:
        properties["prefect_api_key_secret_arn"]["default"] = defaults.prefect_api_key_secret_arn
    return template
