@usersync-api @serial @S-US-01
Feature: Rules turn directory groups into product entitlements and admin roles
  An admin maps a directory group to products and an admin role. When the membership of that
  group changes in the directory (pushed by SCIM), User Sync updates the entitlements and roles
  of the users concerned. The result shows on the SCIM user itself: "entitlements" lists the
  products, "roles" holds the admin role (RFC 7643 §4.1.2).

  Background:
    Given User Sync is set up for the organization
    And the directory users Ann, Bob and Cat
    And the directory group "Sales"
    And the rule "Sales -> Meeting, Webinar" with the admin role "Sales admin"
    And User Sync is on

  @must
  Scenario: Joining a ruled group grants the rule's products and admin role
    When Ann joins "Sales"
    Then Ann has the products "Meeting" and "Webinar"
    And Ann has the admin role "Sales admin"
    And Bob has no products

  @must
  Scenario: Leaving the group takes them away again
    Given Ann is a member of "Sales"
    When Ann leaves "Sales"
    Then Ann has no products
    And Ann has no admin role

  @must @S-US-08
  Scenario: A group can have several rules
    Given the rule "Sales -> Training"
    When Bob joins "Sales"
    Then Bob has the products "Meeting", "Webinar" and "Training"

  @must @S-US-08
  Scenario: A user in several groups gets the products of all of them
    Given the directory group "Support"
    And the rule "Support -> Helpdesk"
    When Cat joins "Sales"
    And Cat joins "Support"
    Then Cat has the products "Meeting", "Webinar" and "Helpdesk"
    And Cat has the admin role "Sales admin"

  @must @S-US-12
  Scenario: Members of a nested group count as members of its parent
    Given the directory group "EMEA Sales" with Bob
    When "EMEA Sales" is added to "Sales"
    Then Bob has the products "Meeting" and "Webinar"
    And Bob has the admin role "Sales admin"

  @must @S-US-12
  Scenario: Nesting counts at every depth, and taking the nested group out takes the products away
    Given the directory group "Berlin" with Cat
    And the directory group "EMEA Sales"
    And "Berlin" is a member of "EMEA Sales"
    And "EMEA Sales" is a member of "Sales"
    Then Cat has the products "Meeting" and "Webinar"
    When "EMEA Sales" is removed from "Sales"
    Then Cat has no products
