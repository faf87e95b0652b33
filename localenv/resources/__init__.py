"""One provisioner per CloudFormation resource type the local stack honours."""

from __future__ import annotations

from localenv.resources import api, compute, iam, identity, logs, observability, storage
from localenv.resources.base import Provisioner

PROVISIONERS: dict[str, Provisioner] = {
    p.type_name: p
    for p in (
        identity.UserPool(),
        identity.UserPoolClient(),
        storage.Table(),
        logs.LogGroup(),
        iam.Role(),
        compute.Function(),
        compute.Permission(),
        api.RestApi(),
        api.Resource(),
        api.Authorizer(),
        api.Method(),
        api.GatewayResponse(),
        api.Deployment(),
        api.Stage(),
        api.Account(),
        observability.Key(),
        observability.Topic(),
        observability.TopicPolicy(),
        observability.Subscription(),
        observability.Alarm(),
    )
}
