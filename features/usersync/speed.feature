@usersync-api @serial
Feature: How fast sync applies changes
  Small changes of one to several users take effect within seconds; bulk changes follow the
  rule of thumb "1000 entitlement requests every few minutes on an average system" (taken as
  3 minutes: 333 per minute). Times run from sending the change until the applied sequence
  covers it and the users show the result.

  Background:
    Given User Sync is set up for the organization

  @must @S-US-03
  Scenario: A small change is visible within seconds
    Given the directory users Ann, Bob and Cat
    And the directory group "Sales"
    And the rule "Sales -> Meeting"
    And User Sync is on
    When Ann, Bob and Cat join "Sales"
    Then each of them has the products "Meeting" within 2 seconds

  @must @S-US-04
  Scenario: Bulk changes beat the rule of thumb of 1000 entitlements every 3 minutes
    Given 1500 directory users named "bulk"
    And the directory group "Everyone"
    And the rule "Everyone -> Bulk meeting, Bulk webinar"
    And User Sync is on
    When they all join "Everyone" in batches of 250
    Then all 3000 entitlements are applied within 60 seconds
    And the rate beats the rule of thumb of 1000 entitlements every 3 minutes
