@okta
Feature: Okta's provisioning client is answered as Okta needs
  Okta provisions a SCIM app differently from Microsoft Entra ID (Okta developer documentation,
  "SCIM 2.0 protocol reference" and "Test your SCIM API"): every request carries
  User-Agent "Okta SCIM Client 1.0.0"; it looks a user up by userName with startIndex=1 and
  count=100 before creating it; it creates with groups: [], a password and active: true; an
  OIN app updates with a GET then a full PUT; it deactivates with a path-less replace of
  active and never deletes a user; it pushes groups with members: [] and renames them with a
  replace whose value carries the id. Scenarios tagged @okta-spec reproduce Okta's own spec
  test, the one an Okta Integration Network submission runs.

  @must @okta-spec @O-SPEC-01
  Scenario: Users are listed a page at a time with integer counts
    Given a user "ann"
    And a user "bob"
    When Okta lists users a page at a time with startIndex 1 and count 1
    Then the page starts at index 1 and holds 1 user
    And the page's totalResults, startIndex and itemsPerPage are JSON integers

  @must @okta-spec @O-SPEC-01
  Scenario: A user is read by its id
    Given a user "ann"
    When I read user "ann"
    Then the returned user is "ann"

  @must @okta-spec @O-MATCH-01
  Scenario: A userName that does not exist is not found
    When Okta looks up a userName that does not exist
    Then Okta counts the user as not found

  @must @okta-spec @O-SPEC-01
  Scenario: An id that does not exist is 404 with the Error schema
    When I read a user that does not exist
    Then the request is refused with status 404

  @must @okta-spec @O-CREATE-01
  Scenario: Okta's create is answered 201 with the user, and a duplicate with 409
    When Okta creates user "ann"
    Then Okta's create succeeded, with the user in the answer
    When Okta creates user "ann" again
    Then Okta's duplicate is refused with 409

  @must @okta-spec @O-MATCH-01
  Scenario: A userName filter in upper case still finds the user
    When Okta creates user "ann"
    And Okta looks up the userName of "ann" in upper case
    Then Okta finds exactly user "ann"

  @must @okta-spec @O-SPEC-01
  Scenario: Groups are listed
    When Okta lists groups
    Then the response status is 200

  @must @okta-spec @O-SPEC-01
  Scenario: A wrong token is refused with 401
    Given the target requires a bearer token
    When I list users with a wrong token
    Then the request is refused with status 401

  @must @O-IMPORT-01
  Scenario: Okta's import reads every user once, a hundred at a time
    Given 130 users named "imported"
    When Okta imports the users a hundred at a time
    Then every page's totalResults, startIndex and itemsPerPage are JSON integers
    And the import read each of the users named "imported" exactly once

  @must @O-UPDATE-01
  Scenario: An OIN app's update is a GET, then a full PUT carrying groups and a password
    When Okta creates user "ann"
    And Okta updates user "ann" with a full PUT setting name.givenName to "Annie"
    Then Okta's PUT is answered 200 with the resource
    And user "ann" has name.givenName "Annie"

  @must @O-UPDATE-01
  Scenario: A custom (AIW) app deactivates with a full PUT as well
    When Okta creates user "ann"
    And Okta updates user "ann" with a full PUT setting active to "false"
    Then Okta's PUT is answered 200 with the resource
    And user "ann" is inactive

  @must @O-DEACTIVATE-01
  Scenario: Deactivation is a path-less replace of active, never a DELETE
    When Okta creates user "ann"
    And Okta deactivates user "ann"
    Then the change is accepted
    And user "ann" is inactive
    When Okta activates user "ann"
    Then the change is accepted
    And user "ann" is active

  @must @O-GROUP-01
  Scenario: Group push creates the group empty, then sends each membership change with the rename
    Given a user "ann"
    And a user "bob"
    When Okta pushes group "team"
    Then the response status is 201
    When Okta adds user "ann" to group "team"
    Then the change is accepted
    When Okta adds user "bob" to group "team"
    And Okta removes user "ann" from group "team"
    Then the change is accepted
    And group "team" has member bob

  @must @O-GROUP-01
  Scenario: A custom (AIW) app sends membership changes as a PUT of the whole group
    Given a user "ann"
    And a user "bob"
    When Okta pushes group "team"
    And Okta replaces group "team" with members ann and bob
    Then Okta's PUT is answered 200 with the resource
    And group "team" has members ann and bob

  @must @O-GROUP-01
  Scenario: A group is renamed with a replace whose value carries the id, and deleted when unlinked
    When Okta pushes group "team"
    And Okta renames group "team" to "crew"
    Then the change is accepted
    And Okta reads group "team" back named as renamed
    When Okta deletes group "team"
    Then the response status is 204
