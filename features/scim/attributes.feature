@R-ATTR @rfc
Feature: Clients choose which attributes come back
  attributes and excludedAttributes (RFC 7644 §3.9) under the "returned" rules of RFC 7643 §7:
  "always" attributes come back regardless, "never" attributes never do.

  Background:
    Given a user "ann" with email "ann@example.com"

  @must
  Scenario: Asking for userName returns it with the attributes that are always returned
    When I read user "ann" asking only for "userName"
    Then the response status is 200
    And the returned resource has an id
    And the returned resource has a userName
    And the returned resource has no emails
    And the returned resource has no name

  @must
  Scenario: Asking for a sub-attribute returns only that sub-attribute
    When I read user "ann" asking only for "name.givenName"
    Then the returned resource has name.givenName "Ann"
    And the returned resource has no name.familyName
    And the returned resource has no emails

  @must
  Scenario: Excluded attributes are left out
    When I read user "ann" without "emails,name"
    Then the returned resource has a userName
    And the returned resource has no emails
    And the returned resource has no name

  @must
  Scenario: Attributes that are always returned cannot be excluded
    When I read user "ann" without "id"
    Then the returned resource has an id
