@usersync-api @serial @S-US-13
Feature: Failures are recorded per user and can be retried
  Failures are reported, not swallowed: "out of licenses" (a product has a seat limit) and
  "user already has an account elsewhere" are recorded per user with a reason, visible on the
  SCIM user and in the admin API, and can be retried. Seat limits are not published; the
  reference has none unless an admin sets one.

  Background:
    Given User Sync is set up for the organization
    And the directory users Ann and Bob
    And the directory group "Sales"
    And the rule "Sales -> Webinar"
    And User Sync is on

  @must
  Scenario: A user beyond the seat limit gets an "out of licenses" failure
    Given the product "Webinar" has 1 free seat
    And Ann is a member of "Sales"
    When Bob joins "Sales"
    Then Ann has the products "Webinar"
    And Bob has no products
    And Bob's last sync failed with "out of licenses"
    And Bob is listed among the users whose sync failed

  @must
  Scenario: A failed user is retried once a seat is free
    Given the product "Webinar" has 1 free seat
    And Ann is a member of "Sales"
    And Bob is a member of "Sales"
    When the product "Webinar" gets 1 more seat
    And Bob's sync is retried
    Then Bob has the products "Webinar"
    And Bob's last sync succeeded

  @must
  Scenario: A user with an account in another organization is refused, then retried
    Given Bob already has an account in another organization
    When Bob joins "Sales"
    Then Bob's last sync failed with "already has an account in another organization"
    And Bob has no products
    When Bob's account in the other organization is closed
    And the users whose sync failed are retried
    Then Bob has the products "Webinar"
    And Bob's last sync succeeded
