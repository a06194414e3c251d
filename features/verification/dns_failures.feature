@verification-api @E-DV-05
Feature: Every way a DNS verification can fail has its own, explained result
  An admin whose verification fails must learn why: a different code, no record at all,
  only other TXT records, a record in the wrong shape, a broken or silent name server. Each
  gives a distinct result with an explanation of what was found and what to do.

  Background:
    Given the reference consults a fake name server and a fake web server
    And "ann@acme.example" starts verifying "acme.example"

  @must
  Scenario: A record with another code is a wrong code
    Given the DNS zone has the TXT record "logmein-verification-code={other code}" at "acme.example"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "wrong-code"
    And the explanation mentions "00000000-0000-4000-8000-0000000000aa"

  @must
  Scenario: A domain whose name does not exist in DNS
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "domain-not-found"
    And "acme.example" is pending

  @must
  Scenario: A domain that exists but has no TXT record
    Given the DNS zone has the TXT record "v=spf1 -all" at "www.acme.example"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "no-record"
    And the explanation mentions "add logmein-verification-code="

  @must
  Scenario: Only other TXT records at the domain
    Given the DNS zone has the TXT record "v=spf1 -all" at "acme.example"
    And the DNS zone has the TXT record "google-site-verification=abc123" at "acme.example"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "other-txt-records-only"
    And the explanation mentions "2 TXT record(s)"

  @must
  Scenario: The code and something else as several strings of one record
    Given the DNS zone has one TXT record at "acme.example" with the strings "logmein-verification-code={code}" and "extra"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "multiple-txt-strings"
    And the explanation mentions "2 strings"

  @must
  Scenario: A record with blank spaces is not the record
    Given the DNS zone has the TXT record "logmein-verification-code = {code}" at "acme.example"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "malformed-record"

  @must
  Scenario: The name server fails
    Given the DNS zone has the verification record for "acme.example"
    And the name server fails with SERVFAIL for "acme.example"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "dns-server-failure"
    And the explanation mentions "Server Failure"
    And "acme.example" is pending

  @must
  Scenario: The name server refuses to answer
    Given the name server refuses to answer for "acme.example"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "dns-server-failure"
    And the explanation mentions "Refused"

  @must
  Scenario: The name server says the domain does not exist although the record is there
    Given the DNS zone has the verification record for "acme.example"
    And the name server says it does not exist for "acme.example"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "domain-not-found"

  @must
  Scenario: The name server does not answer in time
    Given the DNS zone has the verification record for "acme.example"
    And the name server does not answer for "acme.example"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "dns-timeout"

  @must @serial
  Scenario: The name server cannot be reached at all
    Given the DNS zone has the verification record for "acme.example"
    And the name server cannot be reached
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "dns-unreachable"

  @must
  Scenario: A truncated UDP answer is retried over TCP
    Large TXT sets do not fit in a UDP answer; the name server sets the TC bit and the
    verifier asks again over TCP.

    Given the DNS zone has the verification record for "acme.example"
    And the name server truncates its UDP answers for "acme.example"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "verified"
