@usersync-api @serial
Feature: The Active Directory Connector v2 feeds User Sync
  The connector polls the company's Active Directory (every 30 minutes by default; the real
  interval is not published) and pushes the groups selected in it, the groups nested in them
  and their users into the product over SCIM. Later runs push only what changed. Only users
  under a verified organization domain are pushed; the others are skipped with a reason.
  User Sync then turns group membership into products, nesting included.

  Background:
    Given User Sync is set up for the organization
    And the connector syncs the AD group "Sales"
    And Ann and Bob are in the AD group "Sales"

  @must @S-US-10
  Scenario: The first run pushes the selected group and its users
    When the connector runs
    Then the product has Ann and Bob
    And the product has the group "Sales" with members Ann and Bob
    And the connector log shows "Create Ann: success"
    And the last run created 3 objects, updated 0 and sent 1 membership change

  @must
  Scenario: A later run pushes only the differences
    Given the connector has run
    When Ann moves to the "Legal" department in AD
    And the connector runs again
    Then the last run created 0 objects, updated 1 and sent 0 membership changes
    And the product has Ann with department "Legal"

  @must @S-US-12
  Scenario: Membership of a nested AD group grants the parent group's rule
    Given the AD group "EMEA" is nested in "Sales"
    And Carl is in the AD group "EMEA"
    When the connector runs
    Then the product has the group "Sales" with members Ann, Bob and "EMEA"
    And the product has the group "EMEA" with members Carl
    When the rule "Sales -> Meeting" is added
    And User Sync is turned on
    Then Carl has the product Meeting
    And Ann has the product Meeting

  @must
  Scenario: A user outside the verified domains is skipped, with the reason
    Given Dora from "fabrikam.example" is in the AD group "Sales"
    When the connector runs
    Then the product does not have Dora
    And the connector log shows "Skip Dora: skipped" because "not under a verified domain"
    And the product has the group "Sales" with members Ann and Bob

  @must @S-US-11
  Scenario: Custom attributes reach the product's custom fields
    Given Ann's employeeId in AD is "E-7"
    And Ann's costCenter in AD is "CC-42"
    When the connector runs
    And the rule "Sales -> Meeting" is added
    And User Sync is turned on
    Then Ann's custom field "employeeNumber" is "E-7"
    And Ann's custom field "costCenter" is "CC-42"
    When Ann's costCenter changes to "CC-43" in AD
    And the connector runs again
    Then Ann's custom field "costCenter" is "CC-43"

  @must @S-US-05 @S-US-06
  Scenario: A user removed from the AD group is suspended, not deleted
    Given the connector has run
    And the rule "Sales -> Meeting"
    And User Sync is on
    When Ann is removed from the AD group "Sales"
    And the connector runs again
    Then Ann is suspended
    And Ann has no products
    And Ann still exists in the directory as the same account
    And Bob has the product Meeting
