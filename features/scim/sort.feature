@R-SORT @rfc @needs-sort @needs-filter
Feature: Results can be sorted
  sortBy and sortOrder (RFC 7644 §3.4.2.3). Sorting follows the attribute's type and caseExact
  rule; resources without a value come last when ascending and first when descending. A
  server that does not advertise sorting skips this feature.

  Background:
    Given these users:
      | user | familyName |
      | ann  | Baker      |
      | bob  | Adams      |
      | cat  |            |
      | dan  | abbott     |

  @must
  Scenario: Ascending order ignores case and puts missing values last
    When I list my users sorted by name.familyName ascending
    Then the users come in the order dan, bob, ann, cat

  @must
  Scenario: Descending order puts missing values first
    When I list my users sorted by name.familyName descending
    Then the users come in the order cat, ann, bob, dan

  @must
  Scenario: The default order is ascending
    When I list my users sorted by userName
    Then the users come in the order ann, bob, cat, dan
