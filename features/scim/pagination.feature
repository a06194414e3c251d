@R-PAGE @rfc @serial
Feature: Large results are read page by page
  startIndex (1-based) and count page through a result (RFC 7644 §3.4.2.4). A client that
  walks the pages must see every resource exactly once. itemsPerPage is the number of resources
  in the page (RFC 7644 §3.4.2), so an empty page that reports it reports 0. Paging does not
  depend on filtering: on a target that cannot filter, the whole list is paged (these
  scenarios run one at a time) and the counts include the target's other users.

  Background:
    Given 7 users named "page"

  @must
  Scenario: Paging 3 at a time returns every user exactly once
    When I page through my users 3 at a time
    Then every user is returned exactly once
    And every page reports totalResults 7 and an itemsPerPage equal to its size

  @must
  Scenario: The last page holds what is left
    When I list my users with startIndex 7 and count 3
    Then the page starts at index 7 and holds 1 user

  @must
  Scenario Outline: A startIndex below 1 is read as 1 (startIndex <start>)
    When I list my users with startIndex <start> and count 2
    Then the page starts at index 1 and holds 2 users

    Examples:
      | start |
      | 0     |
      | -5    |

  @must
  Scenario Outline: A count of <count> returns only the total
    When I list my users with startIndex 1 and count <count>
    Then only the total comes back: totalResults 7 and no resources

    Examples:
      | count |
      | 0     |
      | -1    |

  @should
  Scenario: A startIndex past the end returns an empty page
    When I list my users with startIndex 50 and count 5
    Then the page past the end is empty: totalResults 7 and no resources
