"""AWS::Cognito::UserPool and AWS::Cognito::UserPoolClient."""

from __future__ import annotations

from typing import Any

from localenv.resources.base import DeployContext, Deployed, Provisioner, integer, pick


class UserPool(Provisioner):
    type_name = "AWS::Cognito::UserPool"
    honored = frozenset(
        {
            "UserPoolName",
            "UsernameAttributes",
            "AliasAttributes",
            "AutoVerifiedAttributes",
            "Policies",
            "AccountRecoverySetting",
            "DeletionProtection",
            "MfaConfiguration",
            "Schema",
            "UserPoolTags",
            "AdminCreateUserConfig",
            "UsernameConfiguration",
        }
    )
    API = {
        "UsernameAttributes": "UsernameAttributes",
        "AliasAttributes": "AliasAttributes",
        "AutoVerifiedAttributes": "AutoVerifiedAttributes",
        "Policies": "Policies",
        "AccountRecoverySetting": "AccountRecoverySetting",
        "DeletionProtection": "DeletionProtection",
        "MfaConfiguration": "MfaConfiguration",
        "Schema": "Schema",
        "UserPoolTags": "UserPoolTags",
        "AdminCreateUserConfig": "AdminCreateUserConfig",
        "UsernameConfiguration": "UsernameConfiguration",
    }

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        name = props.get("UserPoolName") or ctx.generated_name(logical_id, 128)
        pool = ctx.client("cognito-idp").create_user_pool(PoolName=name, **pick(props, self.API))
        pool_id = pool["UserPool"]["Id"]
        provider = f"cognito-idp.{ctx.region}.amazonaws.com/{pool_id}"
        return Deployed(
            pool_id,
            {
                "Arn": pool["UserPool"]["Arn"],
                "ProviderName": provider,
                "ProviderURL": f"https://{provider}",
                "UserPoolId": pool_id,
            },
        )

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        client = ctx.client("cognito-idp")
        # Deletion protection guards real pools; the local stack's own teardown lifts it.
        client.update_user_pool(UserPoolId=deployed.physical_id, DeletionProtection="INACTIVE")
        client.delete_user_pool(UserPoolId=deployed.physical_id)


class UserPoolClient(Provisioner):
    type_name = "AWS::Cognito::UserPoolClient"
    required = frozenset({"UserPoolId"})
    honored = frozenset(
        {
            "ClientName",
            "UserPoolId",
            "GenerateSecret",
            "ExplicitAuthFlows",
            "PreventUserExistenceErrors",
            "EnableTokenRevocation",
            "AccessTokenValidity",
            "IdTokenValidity",
            "RefreshTokenValidity",
            "TokenValidityUnits",
            "SupportedIdentityProviders",
            "CallbackURLs",
            "LogoutURLs",
            "AllowedOAuthFlows",
            "AllowedOAuthScopes",
            "AllowedOAuthFlowsUserPoolClient",
        }
    )
    API = {
        "GenerateSecret": "GenerateSecret",
        "ExplicitAuthFlows": "ExplicitAuthFlows",
        "PreventUserExistenceErrors": "PreventUserExistenceErrors",
        "EnableTokenRevocation": "EnableTokenRevocation",
        "TokenValidityUnits": "TokenValidityUnits",
        "SupportedIdentityProviders": "SupportedIdentityProviders",
        "CallbackURLs": "CallbackURLs",
        "LogoutURLs": "LogoutURLs",
        "AllowedOAuthFlows": "AllowedOAuthFlows",
        "AllowedOAuthScopes": "AllowedOAuthScopes",
        "AllowedOAuthFlowsUserPoolClient": "AllowedOAuthFlowsUserPoolClient",
    }
    VALIDITY = ("AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity")

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        args = pick(props, self.API)
        args.update({key: integer(props[key]) for key in self.VALIDITY if key in props})
        created = ctx.client("cognito-idp").create_user_pool_client(
            UserPoolId=props["UserPoolId"],
            ClientName=props.get("ClientName") or ctx.generated_name(logical_id, 128),
            **args,
        )["UserPoolClient"]
        return Deployed(
            created["ClientId"],
            {"ClientId": created["ClientId"], "Name": created["ClientName"]},
            {"UserPoolId": props["UserPoolId"]},
        )

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("cognito-idp").delete_user_pool_client(
            UserPoolId=deployed.local["UserPoolId"], ClientId=deployed.physical_id
        )
