"""The ECS pool template (pure) and prefect.yaml's ECS job variables: secrets by ARN only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from oddscore.deploy.ecs_template import SECRET_VARIABLES, EcsPoolDefaults, ecs_job_template
from oddscore.exceptions import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]
ARNS = {
    "ODDS_API_KEY": "arn:aws:secretsmanager:us-east-1:123456789012:secret:oddscore/ODDS_API_KEY-a",
    "DATABASE_URL": "arn:aws:ssm:us-east-1:123456789012:parameter/oddscore/DATABASE_URL",
}


def _defaults(**changes: Any) -> EcsPoolDefaults:
    values: dict[str, Any] = {
        "cluster": "oddscore",
        "execution_role_arn": "arn:aws:iam::123456789012:role/exec",
        "task_role_arn": "arn:aws:iam::123456789012:role/task",
        "secret_arns": ARNS,
        "subnets": ("subnet-1", "subnet-2"),
        "security_groups": ("sg-1",),
        "image": "repo/oddscore:1",
        **changes,
    }
    return EcsPoolDefaults(**values)


@pytest.fixture(scope="module")
def default_template() -> dict[str, Any]:
    from prefect_aws.workers.ecs_worker import ECSWorker

    return dict(ECSWorker.get_default_base_job_template())


def test_the_container_takes_both_secrets_by_arn_variable(default_template: dict[str, Any]) -> None:
    template = ecs_job_template(default_template, _defaults())
    config = template["job_configuration"]
    (container,) = config["task_definition"]["containerDefinitions"]
    assert container["secrets"] == [
        {"name": "ODDS_API_KEY", "valueFrom": "{{ odds_api_key_secret_arn }}"},
        {"name": "DATABASE_URL", "valueFrom": "{{ database_url_secret_arn }}"},
    ]
    properties = template["variables"]["properties"]
    for name, variable in SECRET_VARIABLES.items():
        assert properties[variable]["default"] == ARNS[name]
    assert config["task_run_request"]["networkConfiguration"] == {
        "awsvpcConfiguration": {
            "subnets": "{{ subnets }}",
            "securityGroups": "{{ security_groups }}",
            "assignPublicIp": "{{ assign_public_ip }}",
        }
    }
    assert properties["subnets"]["default"] == ["subnet-1", "subnet-2"]
    assert properties["security_groups"]["default"] == ["sg-1"]
    assert properties["assign_public_ip"]["default"] == "ENABLED"
    assert properties["task_role_arn"]["default"] == "arn:aws:iam::123456789012:role/task"
    assert properties["execution_role_arn"]["default"] == "arn:aws:iam::123456789012:role/exec"
    assert properties["image"]["default"] == "repo/oddscore:1"
    # prefect-aws's template itself is left as it was
    assert (
        "secrets"
        not in default_template["job_configuration"]["task_definition"]["containerDefinitions"][0]
    )


def test_a_prefect_cloud_key_is_read_from_its_secret(default_template: dict[str, Any]) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-key-b"
    properties = ecs_job_template(default_template, _defaults(prefect_api_key_secret_arn=arn))[
        "variables"
    ]["properties"]
    assert properties["prefect_api_key_secret_arn"]["default"] == arn
    unset = ecs_job_template(default_template, _defaults())["variables"]["properties"]
    assert unset["prefect_api_key_secret_arn"].get("default") is None


def test_a_private_subnet_turns_the_public_ip_off(default_template: dict[str, Any]) -> None:
    template = ecs_job_template(default_template, _defaults(assign_public_ip=False))
    assert template["variables"]["properties"]["assign_public_ip"]["default"] == "DISABLED"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"subnets": ()}, "at least one subnet"),
        ({"secret_arns": {"ODDS_API_KEY": ARNS["ODDS_API_KEY"]}}, "no secret ARN for DATABASE_URL"),
    ],
)
def test_an_incomplete_setup_names_what_is_missing(
    default_template: dict[str, Any], changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ecs_job_template(default_template, _defaults(**changes))


def test_prefect_yaml_gives_ecs_runs_no_secret_value() -> None:
    """The ECS deployments' job variables carry no secret and no image of their own (the
    pool's default, from odds deploy ecs), and each builds and pushes the image."""
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    ecs = [d for d in config["deployments"] if d["work_pool"]["name"] == "odds-ecs"]
    assert len(ecs) == 5
    for deployment in ecs:
        variables = deployment["work_pool"]["job_variables"]
        assert not set(variables.get("env", {})) & set(SECRET_VARIABLES), deployment["name"]
        assert "image" not in variables
        steps = [next(iter(step.values()))["script"] for step in deployment["build"]]
        steps += [next(iter(step.values()))["script"] for step in deployment["push"]]
        assert steps == [
            'scripts/ecs-image build "{{ prefect.variables.odds_ecs_image }}"',
            'scripts/ecs-image push "{{ build-image.stdout }}"',
        ]
