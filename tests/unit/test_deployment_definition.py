"""The API's definition is read while users may change it."""

from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws

from localenv.gateway import deployments


class DeletesWhileListed:
    """A real (moto) client; the first listing is followed by a user's DeleteMethod,
    as when a test or a user edits the API while the stack reads it."""

    def __init__(self, client: Any, resource_id: str):
        self.client, self.resource_id = client, resource_id
        self.exceptions = client.exceptions

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def get_resources(self, **kwargs: Any) -> Any:
        listed = self.client.get_resources(**kwargs)
        self.client.delete_method(
            restApiId=kwargs["restApiId"], resourceId=self.resource_id, httpMethod="GET"
        )
        return listed


@mock_aws
def test_a_method_deleted_between_the_listing_and_the_read_is_left_out() -> None:
    client: Any = boto3.client("apigateway", region_name="us-east-1")
    api = client.create_rest_api(name="api")["id"]
    root = client.get_resources(restApiId=api)["items"][0]["id"]
    for verb in ("GET", "POST"):
        client.put_method(restApiId=api, resourceId=root, httpMethod=verb, authorizationType="NONE")
    found = deployments.definition(DeletesWhileListed(client, root), api)
    assert list(found["methods"]) == ["/ POST"]
    assert found["methods"]["/ POST"]["httpMethod"] == "POST"
