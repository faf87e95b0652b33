"""API Gateway REST resources: RestApi, Resource, Authorizer, Method, GatewayResponse,
Deployment, Stage and Account — each read back with its real properties."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localenv.gateway import deployments, resource_policy
from localenv.intrinsics import UnsupportedError
from localenv.resources.base import (
    DeployContext,
    Deployed,
    Provisioner,
    boolean,
    integer,
    pick,
    policy_json,
)


def escape_path(path: str) -> str:
    """A resource path in a PATCH path: '/' becomes '~1' (JSON Pointer)."""
    return path.replace("~", "~0").replace("/", "~1")


def binary_media_operations(props: dict[str, Any]) -> list[dict[str, str]]:
    """Patch operations setting BinaryMediaTypes: "replace" sets the first (moto keeps
    the value of "replace" as the whole list), "add" appends each other one."""
    first, *others = [str(t) for t in props["BinaryMediaTypes"]]
    return [{"op": "replace", "path": "/binaryMediaTypes", "value": first}] + [
        {"op": "add", "path": f"/binaryMediaTypes/{escape_path(t)}", "value": t} for t in others
    ]


class RestApi(Provisioner):
    type_name = "AWS::ApiGateway::RestApi"
    honored = frozenset(
        {
            "Name",
            "Description",
            "EndpointConfiguration",
            "BinaryMediaTypes",
            "Policy",
            "MinimumCompressionSize",
            "ApiKeySourceType",
            "DisableExecuteApiEndpoint",
            "Tags",
        }
    )
    no_local_effect = {
        "EndpointConfiguration": "stored; the local API is served on loopback",
        "MinimumCompressionSize": "stored; the local gateway does not compress",
    }

    def check(self, where: str, props: Mapping[str, Any]) -> None:
        if "Policy" in props:
            # The gateway evaluates the policy on every request (gateway/resource_policy.py):
            # what it could not evaluate is refused now, before anything is created.
            resource_policy.parse(props["Policy"], "arn:aws:execute-api:*:*:*", where)

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        client = ctx.client("apigateway")
        args = pick(
            props,
            {
                "Description": "description",
                "ApiKeySourceType": "apiKeySource",
                "DisableExecuteApiEndpoint": "disableExecuteApiEndpoint",
            },
        )
        if "EndpointConfiguration" in props:
            args["endpointConfiguration"] = {"types": props["EndpointConfiguration"]["Types"]}
        if "Policy" in props:
            args["policy"] = policy_json(props["Policy"])
        if "MinimumCompressionSize" in props:
            args["minimumCompressionSize"] = integer(props["MinimumCompressionSize"])
        if "Tags" in props:
            args["tags"] = {t["Key"]: t["Value"] for t in props["Tags"]}
        name = props.get("Name") or ctx.generated_name(logical_id)
        api = client.create_rest_api(name=name, **args)
        if props.get("BinaryMediaTypes"):
            # One entry per type: joined into one ("a,b") nothing would match them.
            client.update_rest_api(
                restApiId=api["id"], patchOperations=binary_media_operations(props)
            )
        root = client.get_resources(restApiId=api["id"])["items"]
        root_id = next(r["id"] for r in root if r["path"] == "/")
        return Deployed(api["id"], {"RestApiId": api["id"], "RootResourceId": root_id})

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("apigateway").delete_rest_api(restApiId=deployed.physical_id)


class Resource(Provisioner):
    type_name = "AWS::ApiGateway::Resource"
    required = frozenset({"RestApiId", "ParentId", "PathPart"})
    honored = frozenset({"RestApiId", "ParentId", "PathPart"})

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        created = ctx.client("apigateway").create_resource(
            restApiId=props["RestApiId"], parentId=props["ParentId"], pathPart=props["PathPart"]
        )
        return Deployed(
            created["id"], {"ResourceId": created["id"]}, {"RestApiId": props["RestApiId"]}
        )

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("apigateway").delete_resource(
            restApiId=deployed.local["RestApiId"], resourceId=deployed.physical_id
        )


EMULATED_IDENTITY_SOURCES = ("method.request.header.", "method.request.querystring.")


class Authorizer(Provisioner):
    type_name = "AWS::ApiGateway::Authorizer"
    required = frozenset({"RestApiId", "Type", "Name"})
    honored = frozenset(
        {
            "Name",
            "RestApiId",
            "Type",
            "IdentitySource",
            "AuthorizerResultTtlInSeconds",
            "AuthorizerUri",
            "AuthorizerCredentials",
            "IdentityValidationExpression",
        }
    )

    def check(self, where: str, props: Mapping[str, Any]) -> None:
        if props["Type"] != "REQUEST":  # TOKEN and COGNITO_USER_POOLS are not emulated
            raise UnsupportedError(
                f"{where}: authorizer Type {props['Type']} is not emulated locally"
            )
        for source in str(props.get("IdentitySource", "")).split(","):
            if source.strip() and not source.strip().startswith(EMULATED_IDENTITY_SOURCES):
                # API Gateway also takes stageVariables.* and context.* sources.
                # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
                raise UnsupportedError(
                    f"{where}: identity source {source.strip()} is not emulated locally "
                    "(headers and query strings are)"
                )

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        self.check(logical_id, props)
        args = pick(
            props,
            {
                "IdentitySource": "identitySource",
                "AuthorizerUri": "authorizerUri",
                "AuthorizerCredentials": "authorizerCredentials",
                "IdentityValidationExpression": "identityValidationExpression",
            },
        )
        # API Gateway's default result TTL is 300 s when the property is absent.
        args["authorizerResultTtlInSeconds"] = integer(
            props.get("AuthorizerResultTtlInSeconds", 300)
        )
        created = ctx.client("apigateway").create_authorizer(
            restApiId=props["RestApiId"], name=props["Name"], type=props["Type"], **args
        )
        return Deployed(
            created["id"], {"AuthorizerId": created["id"]}, {"RestApiId": props["RestApiId"]}
        )

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("apigateway").delete_authorizer(
            restApiId=deployed.local["RestApiId"], authorizerId=deployed.physical_id
        )


INTEGRATION_KEYS = {
    "Type": "type",
    "IntegrationHttpMethod": "integrationHttpMethod",
    "Uri": "uri",
    "RequestTemplates": "requestTemplates",
    "PassthroughBehavior": "passthroughBehavior",
    "ContentHandling": "contentHandling",
    "RequestParameters": "requestParameters",
    "Credentials": "credentials",
    "CacheKeyParameters": "cacheKeyParameters",
}
INTEGRATION_PROPERTIES = {*INTEGRATION_KEYS, "IntegrationResponses", "TimeoutInMillis"}


class Method(Provisioner):
    type_name = "AWS::ApiGateway::Method"
    required = frozenset({"RestApiId", "ResourceId", "HttpMethod", "AuthorizationType"})
    honored = frozenset(
        {
            "RestApiId",
            "ResourceId",
            "HttpMethod",
            "AuthorizationType",
            "AuthorizerId",
            "Integration",
            "MethodResponses",
            "RequestParameters",
            "ApiKeyRequired",
            "OperationName",
        }
    )

    def check(self, where: str, props: Mapping[str, Any]) -> None:
        unknown = set(props.get("Integration", {})) - INTEGRATION_PROPERTIES
        if unknown:
            raise UnsupportedError(f"{where}: Integration {sorted(unknown)} not supported locally")

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        client = ctx.client("apigateway")
        key = {
            "restApiId": props["RestApiId"],
            "resourceId": props["ResourceId"],
            "httpMethod": props["HttpMethod"],
        }
        args = pick(
            props,
            {
                "AuthorizerId": "authorizerId",
                "OperationName": "operationName",
                "ApiKeyRequired": "apiKeyRequired",
            },
        )
        if "RequestParameters" in props:
            args["requestParameters"] = {
                k: boolean(v) for k, v in props["RequestParameters"].items()
            }
        if boolean(props.get("ApiKeyRequired", False)):
            # API keys and usage plans are not emulated: a method requiring a key would let
            # every request through, so the deploy refuses it (ARCHITECTURE.md, Not reproduced).
            raise UnsupportedError(
                f"{logical_id}: ApiKeyRequired: true is not supported locally (API keys and "
                "usage plans are not emulated)"
            )
        client.put_method(authorizationType=props["AuthorizationType"], **key, **args)
        for response in props.get("MethodResponses", []):
            client.put_method_response(
                statusCode=str(response["StatusCode"]),
                responseParameters={
                    k: boolean(v) for k, v in response.get("ResponseParameters", {}).items()
                },
                **key,
            )
        if "Integration" in props:
            self.integrate(client, key, props["Integration"], logical_id)
        return Deployed(f"{props['ResourceId']}/{props['HttpMethod']}", {}, key)

    @staticmethod
    def integrate(
        client: Any, key: dict[str, str], integration: dict[str, Any], where: str
    ) -> None:
        unknown = set(integration) - INTEGRATION_PROPERTIES
        if unknown:
            raise UnsupportedError(f"{where}.Integration: {sorted(unknown)} not supported locally")
        args = pick(integration, INTEGRATION_KEYS)
        if "TimeoutInMillis" in integration:
            args["timeoutInMillis"] = integer(integration["TimeoutInMillis"])
        client.put_integration(**key, **args)
        for response in integration.get("IntegrationResponses", []):
            client.put_integration_response(
                statusCode=str(response["StatusCode"]),
                responseParameters=response.get("ResponseParameters", {}),
                responseTemplates=response.get("ResponseTemplates", {}),
                **(
                    {"selectionPattern": response["SelectionPattern"]}
                    if "SelectionPattern" in response
                    else {}
                ),
                **key,
            )

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("apigateway").delete_method(**deployed.local)


class GatewayResponse(Provisioner):
    type_name = "AWS::ApiGateway::GatewayResponse"
    required = frozenset({"RestApiId", "ResponseType"})
    honored = frozenset(
        {"RestApiId", "ResponseType", "ResponseParameters", "ResponseTemplates", "StatusCode"}
    )

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        args = pick(
            props,
            {"ResponseParameters": "responseParameters", "ResponseTemplates": "responseTemplates"},
        )
        if "StatusCode" in props:
            args["statusCode"] = str(props["StatusCode"])
        ctx.client("apigateway").put_gateway_response(
            restApiId=props["RestApiId"], responseType=props["ResponseType"], **args
        )
        return Deployed(
            f"{props['RestApiId']}/{props['ResponseType']}",
            {},
            {"restApiId": props["RestApiId"], "responseType": props["ResponseType"]},
        )

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("apigateway").delete_gateway_response(**deployed.local)


class Deployment(Provisioner):
    type_name = "AWS::ApiGateway::Deployment"
    required = frozenset({"RestApiId"})
    honored = frozenset({"RestApiId", "Description"})

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        apigateway = ctx.client("apigateway")
        created = apigateway.create_deployment(
            restApiId=props["RestApiId"], description=props.get("Description", "")
        )
        if ctx.state_dir is not None:
            # The stage serves the API as it is now, whatever changes later.
            store = deployments.SnapshotStore.of_stack(ctx.state_dir)
            deployments.capture(apigateway, store, props["RestApiId"], created["id"])
        return Deployed(
            created["id"], {"DeploymentId": created["id"]}, {"RestApiId": props["RestApiId"]}
        )

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("apigateway").delete_deployment(
            restApiId=deployed.local["RestApiId"], deploymentId=deployed.physical_id
        )


METHOD_SETTING_PATHS = {
    "ThrottlingRateLimit": "throttling/rateLimit",
    "ThrottlingBurstLimit": "throttling/burstLimit",
    "MetricsEnabled": "metrics/enabled",
    "LoggingLevel": "logging/loglevel",
    "DataTraceEnabled": "logging/dataTrace",
    "CachingEnabled": "caching/enabled",
    "CacheTtlInSeconds": "caching/ttlInSeconds",
    "CacheDataEncrypted": "caching/dataEncrypted",
}


class Stage(Provisioner):
    type_name = "AWS::ApiGateway::Stage"
    required = frozenset({"RestApiId", "DeploymentId", "StageName"})
    honored = frozenset(
        {
            "RestApiId",
            "DeploymentId",
            "StageName",
            "Description",
            "TracingEnabled",
            "AccessLogSetting",
            "MethodSettings",
            "Variables",
            "CacheClusterEnabled",
            "Tags",
        }
    )
    no_local_effect = {
        "TracingEnabled": "stored and read back; no X-Ray traces are recorded locally",
        "CacheClusterEnabled": "stored; the local gateway has no response cache",
    }

    def check(self, where: str, props: Mapping[str, Any]) -> None:
        for setting in props.get("MethodSettings", []):
            unknown = set(setting) - {"ResourcePath", "HttpMethod", *METHOD_SETTING_PATHS}
            if unknown:
                raise UnsupportedError(
                    f"{where}: MethodSettings {sorted(unknown)} not supported locally"
                )

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        client = ctx.client("apigateway")
        api, name = props["RestApiId"], props["StageName"]
        args = pick(props, {"Description": "description", "Variables": "variables"})
        if "TracingEnabled" in props:
            args["tracingEnabled"] = boolean(props["TracingEnabled"])
        if "CacheClusterEnabled" in props:
            args["cacheClusterEnabled"] = boolean(props["CacheClusterEnabled"])
        if "Tags" in props:
            args["tags"] = {t["Key"]: t["Value"] for t in props["Tags"]}
        client.create_stage(
            restApiId=api, stageName=name, deploymentId=props["DeploymentId"], **args
        )
        operations = self.patch_operations(props)
        if operations:
            client.update_stage(restApiId=api, stageName=name, patchOperations=operations)
        return Deployed(name, {}, {"RestApiId": api})

    @staticmethod
    def patch_operations(props: dict[str, Any]) -> list[dict[str, str]]:
        operations = []
        access = props.get("AccessLogSetting")
        if access:
            for key, path in (("DestinationArn", "destinationArn"), ("Format", "format")):
                if key in access:
                    operations.append(
                        {
                            "op": "replace",
                            "path": f"/accessLogSettings/{path}",
                            "value": str(access[key]),
                        }
                    )
        for setting in props.get("MethodSettings", []):
            path = setting.get("ResourcePath", "/*")
            prefix = "/*" if path == "/*" else "/" + escape_path(path)
            prefix += "/" + setting.get("HttpMethod", "*")
            for key, value in setting.items():
                if key in {"ResourcePath", "HttpMethod"}:
                    continue
                if key not in METHOD_SETTING_PATHS:
                    raise UnsupportedError(f"Stage MethodSettings.{key} is not supported locally")
                operations.append(
                    {
                        "op": "replace",
                        "path": f"{prefix}/{METHOD_SETTING_PATHS[key]}",
                        "value": str(value).lower() if isinstance(value, bool) else str(value),
                    }
                )
        return operations

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("apigateway").delete_stage(
            restApiId=deployed.local["RestApiId"], stageName=deployed.physical_id
        )


class Account(Provisioner):
    type_name = "AWS::ApiGateway::Account"
    honored = frozenset({"CloudWatchRoleArn"})
    no_local_effect = {
        "CloudWatchRoleArn": "stored and checked at deploy; no execution logs are written locally"
    }

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        if "CloudWatchRoleArn" in props:
            ctx.client("apigateway").update_account(
                patchOperations=[
                    {
                        "op": "replace",
                        "path": "/cloudwatchRoleArn",
                        "value": props["CloudWatchRoleArn"],
                    }
                ]
            )
        return Deployed(f"{ctx.stack_name}-{logical_id}")

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("apigateway").update_account(
            patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": ""}]
        )
