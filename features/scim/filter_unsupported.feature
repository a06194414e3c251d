@R-FILTER @rfc
Feature: A server without filtering does not ignore a filter
  Filtering is OPTIONAL (RFC 7644 §3.4.2.2), so a server may say it lacks it and refuse the
  filter parameter. It may not ignore it: "When specified, only those resources matching the
  filter expression SHALL be returned." A client that looks a user up before creating it, as
  identity providers do, would take the first user of an unfiltered list for its match.
  This runs only against a target that does not advertise filtering; filter.feature tests
  the others.

  @must
  Scenario: A filter sent to a server without filtering is refused or honoured, never ignored
    Given the target does not advertise filtering
    And a user "ann" with an email of its own
    And a user "bob" with an email of its own
    When I search users for the userName of "ann"
    Then the filter is refused, or only "ann" is returned
