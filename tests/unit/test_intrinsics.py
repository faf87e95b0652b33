"""The intrinsic-function resolver on small templates (pure: no emulator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from localenv import intrinsics
from localenv.intrinsics import REMOVED, Scope, UnsupportedError, Where
from localenv.template_loader import TemplateError, load

HERE = Where("Test", 1)


def scope(**conditions: bool) -> Scope:
    return Scope(
        parameters={"Stage": "prod", "Empty": "", "List": ["a", "b"]},
        pseudo={
            "AWS::Region": "eu-west-1",
            "AWS::AccountId": "111122223333",
            "AWS::Partition": "aws",
            "AWS::StackName": "s",
        },
        mappings={"Sizes": {"prod": {"Memory": 1024}}},
        conditions=dict(conditions),
        physical_ids={"Table": "s-data", "Fn": "s-fn"},
        attributes={
            "Table": {"Arn": "arn:aws:dynamodb:eu-west-1:111122223333:table/s-data"},
            "Fn": {"Arn": "arn:fn"},
        },
        resource_names=frozenset({"Table", "Fn", "Inactive"}),
    )


def resolve(value: Any, **conditions: bool) -> Any:
    return intrinsics.resolve(value, scope(**conditions), HERE)


def test_ref_parameters_pseudo_and_resources() -> None:
    assert resolve({"Ref": "Stage"}) == "prod"
    assert resolve({"Ref": "AWS::Region"}) == "eu-west-1"
    assert resolve({"Ref": "Table"}) == "s-data"


def test_ref_to_unknown_or_inactive_names_fails_with_the_name() -> None:
    with pytest.raises(TemplateError, match="Nope"):
        resolve({"Ref": "Nope"})
    with pytest.raises(TemplateError, match=r"Inactive.*condition"):
        resolve({"Ref": "Inactive"})


def test_get_att_both_forms_and_unknown_attribute() -> None:
    assert resolve({"Fn::GetAtt": ["Table", "Arn"]}).endswith("table/s-data")
    assert resolve({"Fn::GetAtt": "Fn.Arn"}) == "arn:fn"
    with pytest.raises(UnsupportedError, match=r"Table\.StreamArn"):
        resolve({"Fn::GetAtt": ["Table", "StreamArn"]})


def test_sub_with_refs_attributes_literals_and_variables() -> None:
    text = "arn:${AWS::Partition}:x:${AWS::Region}:${Table}/${Table.Arn}/${!Literal}/${Var}"
    assert resolve({"Fn::Sub": [text, {"Var": {"Ref": "Stage"}}]}) == (
        "arn:aws:x:eu-west-1:s-data/arn:aws:dynamodb:eu-west-1:111122223333:table/s-data"
        "/${Literal}/prod"
    )
    assert resolve({"Fn::Sub": "${AWS::StackName}-x"}) == "s-x"


def test_join_select_split_find_in_map_base64() -> None:
    assert resolve({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}) == "a-prod"
    assert resolve({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}) == "y"
    assert resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}) == 1024
    assert resolve({"Fn::Base64": "hi"}) == "aGk="
    with pytest.raises(TemplateError, match="out of range"):
        resolve({"Fn::Select": [5, ["a"]]})


def test_nested_if_with_no_value_removes_keys_and_list_items() -> None:
    value = {
        "Keep": {"Fn::If": ["Yes", {"Fn::If": ["No", "inner-true", "inner-false"]}, "x"]},
        "Drop": {"Fn::If": ["No", "x", {"Ref": "AWS::NoValue"}]},
        "List": ["a", {"Fn::If": ["No", "b", {"Ref": "AWS::NoValue"}]}, "c"],
    }
    assert resolve(value, Yes=True, No=False) == {"Keep": "inner-false", "List": ["a", "c"]}
    assert resolve({"Ref": "AWS::NoValue"}) is REMOVED


def test_conditions_evaluate_through_references() -> None:
    s = scope()
    intrinsics.evaluate_conditions(
        {
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "HasEmpty": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Empty"}, ""]}]},
            "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "HasEmpty"}]},
            "Either": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "HasEmpty"}]},
        },
        s,
    )
    assert s.conditions == {"IsProd": True, "HasEmpty": False, "Both": False, "Either": True}


def test_condition_cycle_is_an_error() -> None:
    with pytest.raises(TemplateError, match="cycle"):
        intrinsics.evaluate_conditions({"A": {"Condition": "B"}, "B": {"Condition": "A"}}, scope())


@pytest.mark.parametrize(
    "function", ["Fn::ImportValue", "Fn::GetAZs", "Fn::Transform", "Fn::Cidr", "Fn::Length"]
)
def test_unsupported_functions_fail_naming_the_function(function: str) -> None:
    with pytest.raises(UnsupportedError, match=function):
        resolve({"Prop": {function: "x"}})


def test_references_find_refs_getatts_and_sub_names() -> None:
    value = {
        "A": {"Ref": "Table"},
        "B": {"Fn::GetAtt": "Fn.Arn"},
        "C": {"Fn::Sub": ["${Other}-${Third.Arn}-${!Not}-${V}", {"V": {"Ref": "Fourth"}}]},
    }
    assert intrinsics.references(value) == {"Table", "Fn", "Other", "Third", "Fourth"}


def test_loader_keeps_lines_and_reads_short_forms(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n"
        "  Thing:\n"
        "    Type: AWS::SNS::Topic\n"
        "    Properties:\n"
        "      TopicName: !Sub '${AWS::StackName}-t'\n"
        "      DisplayName: !GetAtt Other.Name\n"
    )
    template = load(path)
    thing = template["Resources"]["Thing"]
    assert thing.line == 3
    assert thing["Properties"]["TopicName"] == {"Fn::Sub": "${AWS::StackName}-t"}
    assert thing["Properties"]["DisplayName"] == {"Fn::GetAtt": ["Other", "Name"]}


def test_loader_rejects_non_templates(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("just: text\n")
    with pytest.raises(TemplateError, match="no Resources"):
        load(path)


def test_architecture_lists_every_property_with_no_local_effect() -> None:
    from localenv.resources import PROVISIONERS
    from tests.template_model import ROOT

    text = (ROOT / "localenv" / "ARCHITECTURE.md").read_text()
    for kind, provisioner in PROVISIONERS.items():
        for prop in provisioner.no_local_effect:
            assert f"| `{kind}` | `{prop}` |" in text, (kind, prop)
