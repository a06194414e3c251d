@usersync-api @serial @S-US-09
Feature: The "User Sync is on" switch
  Sync does nothing until the switch is on. Turning it on applies every rule and priority to
  every user; turning it off stops further changes (what was applied stays).

  Background:
    Given User Sync is set up for the organization
    And the directory users Ann and Bob
    And the directory group "Sales" with Ann
    And the rule "Sales -> Meeting"

  @must
  Scenario: Nothing is applied while the switch is off
    Given User Sync is off
    When Bob joins "Sales"
    Then Ann has no products
    And Bob has no products
    And nobody received an enrollment email

  @must
  Scenario: Turning the switch on applies every rule to every user
    Given User Sync is off
    And Bob is a member of "Sales"
    When User Sync is turned on
    Then Ann has the products "Meeting"
    And Bob has the products "Meeting"
    And User Sync is on

  @must
  Scenario: Turning the switch off stops further changes
    Given User Sync is on
    When User Sync is turned off
    And Bob joins "Sales"
    And Ann leaves "Sales"
    Then Bob has no products
    And Ann has the products "Meeting"
    And User Sync is off
