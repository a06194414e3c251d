@verification-api @E-DV-02
Feature: A domain is verified by a DNS TXT record
  The organization proves it owns a domain by publishing the TXT record
  logmein-verification-code=<code> at that domain, where <code> is the code the product issued
  when the admin started verifying it. The record belongs at the domain itself; a subdomain
  being verified needs a record of its own. Other TXT records at the same name (SPF, other
  services' codes) do not get in the way.

  The reference's verifier asks a real name server over UDP (and TCP when the answer is too
  large) on this machine; the scenarios change its zone.

  Background:
    Given the reference consults a fake name server and a fake web server

  @must @E-DV-01
  Scenario: The verification record proves ownership and creates the organization
    Given "ann@acme.example" starts verifying "acme.example"
    And the DNS zone has the verification record for "acme.example"
    When "ann@acme.example" verifies "acme.example"
    Then the result is "verified"
    And "acme.example" is verified
    And "ann@acme.example" is an organization admin

  @must
  Scenario: Other TXT records next to the verification record do not matter
    Given "ann@acme.example" starts verifying "acme.example"
    And the DNS zone has the TXT record "v=spf1 include:_spf.acme.example -all" at "acme.example"
    And the DNS zone has the verification record for "acme.example"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "verified"

  @must
  Scenario Outline: Both zone-file spellings of the record are the same record
    The seed shows the record written with "@" for the zone's own name, and with the domain's
    fully-qualified name ending in a dot. Both load to the same record.

    Given "ann@acme.example" starts verifying "acme.example"
    And the zone file of "acme.example" holds the line: <owner> IN TXT "logmein-verification-code={code}"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "verified"

    Examples:
      | owner         |
      | @             |
      | acme.example. |

  @must
  Scenario: Each subdomain needs its own record
    Given "ann@acme.example" starts verifying "acme.example"
    And "ann@acme.example" starts verifying "sales.acme.example"
    And the DNS zone has the verification record for "acme.example"
    When "ann@acme.example" verifies "sales.acme.example" by DNS
    Then the result is "domain-not-found"
    Given the DNS zone has the verification record for "sales.acme.example"
    When "ann@acme.example" verifies "sales.acme.example" by DNS
    Then the result is "verified"
    And "sales.acme.example" is verified

  @should
  Scenario: A record split into several strings counts when the strings join to the value
    A TXT record may hold several strings; like SPF, the verifier reads them joined together.

    Given "ann@acme.example" starts verifying "acme.example"
    And the DNS zone has one TXT record at "acme.example" with the strings "logmein-verification-code=" and "{code}"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "verified"

  @should
  Scenario: An alias (CNAME) to a name holding the record is followed, as dig shows it
    Given "ann@acme.example" starts verifying "acme.example"
    And the DNS zone has the TXT record "logmein-verification-code={code}" at "verify.dns-host.example"
    And "acme.example" is an alias (CNAME) of "verify.dns-host.example"
    When "ann@acme.example" verifies "acme.example" by DNS
    Then the result is "verified"

  @must @E-DV-04
  Scenario: A verified domain cannot be deleted; a pending one can
    Given "ann@acme.example" starts verifying "acme.example"
    And "ann@acme.example" starts verifying "beta.example"
    And the DNS zone has the verification record for "acme.example"
    When "ann@acme.example" verifies "acme.example"
    And the admin deletes "acme.example"
    Then the request is refused with status 409
    And "acme.example" is verified
    When the admin deletes "beta.example"
    Then the response status is 204
    And "beta.example" is no longer listed

  @must @E-DV-04 @usersync-api
  Scenario: A domain proven by DNS cannot be marked unverified through the organization's admin API
    Given "ann@acme.example" starts verifying "acme.example"
    And the DNS zone has the verification record for "acme.example"
    When "ann@acme.example" verifies "acme.example"
    And the organization's admin marks "acme.example" unverified
    Then the request is refused with status 409
    And "acme.example" is verified
