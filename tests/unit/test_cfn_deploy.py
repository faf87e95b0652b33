"""The deploy-through-CloudFormation path (LocalStack): packaging and URLs (pure)."""

from __future__ import annotations

import json

from localenv.cfn_deploy import local_api_url, packaged_template
from tests.template_model import TEMPLATE


def test_packaged_template_points_every_function_at_the_s3_object() -> None:
    packaged = json.loads(packaged_template(TEMPLATE, "bucket", "key"))
    functions = [r for r in packaged["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 3
    assert all(f["Properties"]["Code"] == {"S3Bucket": "bucket", "S3Key": "key"} for f in functions)
    assert packaged["Resources"]["Api"]["Properties"]["Name"] == {
        "Fn::Sub": "${AWS::StackName}-api"
    }


def test_execute_api_urls_become_localstack_urls() -> None:
    assert local_api_url(
        "https://abc123.execute-api.us-east-1.amazonaws.com/prod/dataproc", "http://127.0.0.1:4567"
    ) == ("http://127.0.0.1:4567/restapis/abc123/prod/_user_request_/dataproc")
    assert local_api_url("us-east-1", "http://x") == "us-east-1"
