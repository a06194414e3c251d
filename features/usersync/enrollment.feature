@usersync-api @serial @S-US-02
Feature: One enrollment email per user
  A user who receives an entitlement through sync gets one enrollment email telling them to log
  in and change their password. A later sync that changes nothing, or changes their products,
  sends no second email. The reference writes emails to an outbox the tests read.

  Background:
    Given User Sync is set up for the organization
    And the directory users Ann and Bob
    And the directory group "Sales"
    And the directory group "Lobby"
    And the rule "Sales -> Meeting, Webinar"
    And User Sync is on

  @must
  Scenario: A user who receives an entitlement gets one email telling them to log in
    When Ann joins "Sales"
    Then Ann received exactly one enrollment email
    And the email tells Ann to log in and change the password

  @must
  Scenario: No second email when later syncs change nothing or change the products
    Given Ann is a member of "Sales"
    When the rule "Sales -> Training" is added
    And User Sync is turned off
    And User Sync is turned on
    Then Ann has the products "Meeting", "Webinar" and "Training"
    And Ann received exactly one enrollment email

  @must
  Scenario: A user without an entitlement gets no email
    When Bob joins "Lobby"
    Then Bob received no enrollment email

  @must
  Scenario: The account is pending until the user logs in for the first time
    Given Ann is a member of "Sales"
    Then Ann is pending
    When Ann logs in for the first time
    Then Ann is active
