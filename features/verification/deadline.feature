@verification-api @time-travel @serial @E-DV-04
Feature: Verification must happen within 10 days
  The admin has 10 days from starting to verify a domain. After that the domain is expired and
  a new code is issued, with 10 new days; a record still holding the old code is answered
  "expired", not "wrong code", so the admin knows to publish the new one.

  Time moves through the reference's test clock; a target without one skips these scenarios.

  Background:
    Given the reference consults a fake name server and a fake web server
    And "ann@acme.example" starts verifying "acme.example"
    And the DNS zone has the verification record for "acme.example"

  @must
  Scenario: On day 9 the domain can still be verified
    When 9 days go by
    And "ann@acme.example" verifies "acme.example"
    Then the result is "verified"

  @must
  Scenario: After 11 days the domain is expired and a new code is issued
    When 11 days go by
    And "ann@acme.example" verifies "acme.example"
    Then the result is "expired"
    And "acme.example" is expired
    And a new verification code has been issued for "acme.example"

  @must
  Scenario: The old record keeps answering "expired"; the new code verifies
    When 11 days go by
    And "ann@acme.example" verifies "acme.example"
    And "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "expired"
    Given the DNS zone has the verification record for "acme.example"
    When "ann@acme.example" verifies "acme.example"
    Then the result is "verified"
    And "acme.example" is verified

  @must
  Scenario: A verified domain never expires
    When "ann@acme.example" verifies "acme.example"
    And 30 days go by
    Then "acme.example" is verified
