@R-GROUP @rfc
Feature: Groups hold users, and users show their groups
  Group membership is managed on the Group (RFC 7643 §4.2); a user's read-only "groups"
  attribute reflects it (RFC 7643 §4.1.2).

  Background:
    Given a user "ann" with an email of its own
    And a user "bob" with an email of its own

  # RFC 7644 §3.3 leaves a server free to ignore POSTed content, and the identity provider
  # creates groups empty and adds members by PATCH (E-G-01): keeping the members of a POST is
  # a MAY. A server that drops them is "not offered"; the setup of other scenarios then adds
  # the members by PATCH instead.
  @may @R-CRUD
  Scenario: A group may be created with its members
    When I create a group "team" with members ann and bob
    Then the response status is 201
    And group "team" has members ann and bob

  @must @R-CRUD
  Scenario: Replacing a group with PUT replaces its members
    PUT replaces the whole resource (RFC 7644 §3.5.1); the members are read back with GET.
    Given a group "team" with member ann
    When I replace group "team" with member bob
    Then the replacement is accepted
    And reading group "team" back shows member bob

  # RFC 7643 §4.2 makes displayName REQUIRED ("A human-readable name for the Group"); "" is
  # present but names nothing. No sentence says "non-empty" here as §4.1.1 does for userName,
  # hence a SHOULD.
  @should @R-IDENT
  Scenario: A group with an empty displayName is refused as an invalid value
    Given the valid twin of "create a group with an empty displayName" is accepted
    When I send the bad request "create a group with an empty displayName"
    Then the request is refused because its displayName names nothing

  @should
  Scenario: A user's groups show the groups it belongs to
    Given a group "team" with member ann
    Then user "ann" lists group "team" among its groups

  @must @needs-patch @R-PATCH
  Scenario: A member is added with PATCH
    Given a group "team" with member ann
    When I patch group "team" with:
      """
      {"op": "add", "path": "members", "value": [{"value": "{id of bob}"}]}
      """
    Then the change is accepted
    And group "team" has members ann and bob

  @must @needs-patch @R-PATCH
  Scenario: A member is removed with PATCH through a value filter
    Given a group "team" with members ann and bob
    When I patch group "team" with:
      """
      {"op": "remove", "path": "members[value eq \"{id of ann}\"]"}
      """
    Then the change is accepted
    And group "team" has member bob

  @must @needs-patch @R-PATCH
  Scenario: Replacing members sets the whole list
    Given a group "team" with member ann
    When I patch group "team" with:
      """
      {"op": "replace", "path": "members", "value": [{"value": "{id of bob}"}]}
      """
    Then the change is accepted
    And group "team" has member bob

  # No RFC sentence says what becomes of a deleted user's memberships (RFC 7644 §3.6 speaks
  # only of the deleted resource itself), so this is a MAY: a server that keeps the dangling
  # member has made an allowed choice, shown as "not offered".
  @may
  Scenario: Deleting a user may remove it from every group
    Given a group "team" with members ann and bob
    And a group "crew" with member ann
    When I delete user "ann"
    Then the response status is 204
    And group "team" has member bob
    And group "crew" has no members

  @must @R-CRUD
  Scenario: Deleting a group keeps its members
    Given a group "team" with members ann and bob
    When I delete group "team"
    Then the response status is 204
    And user "ann" is active
    And user "bob" is active
