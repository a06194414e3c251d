@entra-compat @R-PATCH @needs-patch
Feature: The identity provider's request shapes are accepted
  Microsoft Entra ID's provisioning service sends PATCH requests that are not strict RFC 7644
  (BEHAVIOUR E-U-03, E-G-01): capitalised ops, "True"/"False" as strings, a path-less replace
  whose keys are dotted paths and extension URNs, and a Remove of members listing the values.
  A service must accept them to work with that provider. Run with --profile rfc to leave
  these out. The provider's lookups, which need no PATCH, are in entra_lookups.feature.

  Background:
    Given a user "ann" with an email of its own
    And a user "bob" with an email of its own

  @must @E-U-03
  Scenario: A capitalised Replace with the string "False" deactivates the user
    When I patch user "ann" with:
      """
      {"op": "Replace", "path": "active", "value": "False"}
      """
    Then the change is accepted
    And user "ann" is inactive

  @must @E-U-03
  Scenario: The string "True" reactivates the user
    When I patch user "ann" with:
      """
      [{"op": "Replace", "path": "active", "value": "False"}, {"op": "Replace", "path": "active", "value": "True"}]
      """
    Then the change is accepted
    And user "ann" is active

  @must @E-U-03
  Scenario: A capitalised Add through a value path sets the work email
    When I patch user "ann" with:
      """
      {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ann@new.example"}
      """
    Then the change is accepted
    And user "ann" has emails[type eq "work"].value "ann@new.example"

  @must @E-U-03
  Scenario: A path-less replace with dotted and extension keys sets each attribute
    When I patch user "ann" with:
      """
      {"op": "replace", "value": {
        "name.givenName": "Annie",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
        "active": false
      }}
      """
    Then the change is accepted
    And user "ann" has name.givenName "Annie"
    And user "ann" has urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department "Sales"
    And user "ann" is inactive

  @must @E-G-01 @R-GROUP
  Scenario: A group is created with no members and renamed with a capitalised Replace
    When I create a group "team" with no members
    Then the response status is 201
    When I patch group "team" with:
      """
      {"op": "Replace", "path": "displayName", "value": "{group name crew}"}
      """
    Then the change is accepted
    And group "team" is named "crew"

  @must @E-G-01 @R-GROUP
  Scenario: Several members are added in one Add and one is removed by a value list
    Given a group "team"
    When I patch group "team" with:
      """
      {"op": "Add", "path": "members", "value": [{"value": "{id of ann}"}, {"value": "{id of bob}"}]}
      """
    Then the change is accepted
    And group "team" has members ann and bob
    When I patch group "team" with:
      """
      {"op": "Remove", "path": "members", "value": [{"value": "{id of ann}"}]}
      """
    Then the change is accepted
    And group "team" has member bob

  # RFC 7643 declares a group's displayName uniqueness "none", so this is no RFC rule: the
  # provider matches groups by displayName (E-G-01), and two groups of one name make that
  # match ambiguous. Hence a SHOULD, sourced from the provider's documentation.
  @should @E-G-01 @R-GROUP
  Scenario: Group names are kept unique, because the provider matches groups by displayName
    Given a group "team"
    When I create another group named "team"
    Then the duplicate name is refused, since the provider's match by displayName would be ambiguous

  @must @E-G-01 @R-GROUP
  Scenario: A group is deleted with 204
    Given a group "team" with member ann
    When I delete group "team"
    Then the response status is 204
    And user "ann" is active
