@usersync-api @serial @S-US-10
Feature: Prerequisites of turning User Sync on
  Turning the switch on needs: an admin holding both the Organization admin and the product
  admin role, a validated organization domain, and directory groups and users present. Without
  them the switch stays off and the answer says which prerequisite is missing.

  Background:
    Given User Sync is set up for the organization
    And the directory user Ann
    And User Sync is off

  @must
  Scenario: With every prerequisite met the switch turns on
    Given the directory group "Sales" with Ann
    When User Sync is turned on
    Then User Sync is on

  @must
  Scenario: Without an admin holding both roles the switch refuses, saying why
    Given the directory group "Sales" with Ann
    And the organization has no admin with both the Organization admin and the product admin role
    And the organization has an admin with only the product admin role
    When I try to turn User Sync on
    Then it is refused because "no admin holds both the Organization admin and the product admin role"
    And User Sync stays off

  @must
  Scenario: Without a verified domain the switch refuses, saying why
    Given the directory group "Sales" with Ann
    And the organization has no verified domain
    When I try to turn User Sync on
    Then it is refused because "no verified domain"
    And User Sync stays off

  @must
  Scenario: Without directory groups the switch refuses, saying why
    Given the directory has no groups
    When I try to turn User Sync on
    Then it is refused because "no directory groups are present"
    And User Sync stays off
