@R-FILTER @rfc @needs-filter
Feature: Users can be found with filters
  The filter grammar of RFC 7644 §3.4.2.2 in depth: every operator, "and" binding tighter
  than "or", "not", parentheses, value paths, sub-attributes, multi-valued attributes,
  escaped quotes, typed comparisons, and the case rules (attribute names and operators never
  case-sensitive; values case-sensitive only for caseExact attributes such as externalId).

  Background:
    Given these users:
      | user | givenName | familyName | title                 | nickName | email           | emailType | active | externalId |
      | ann  | Ann       | Archer     | Lead "Rust" Engineer  | Annie    | ann@example.com | work      | true   | Ext-Ann    |
      | bob  | Bob       | Baker      | Sales Engineer        |          | bob@example.org | work      | false  | Ext-Bob    |
      | cat  | Cat       |            | Designer              |          | cat@example.com | home      | true   | Ext-Cat    |

  @must
  Scenario: Looking a user up by userName ignores case
    When I look up users whose userName equals "ANN"
    Then exactly 1 user is found

  @must
  Scenario Outline: A filter selects exactly the matching users: <filter>
    When I search users with the filter <filter>
    Then the users found are <users>

    Examples: comparison operators
      | filter                                       | users         |
      | userName eq "ann"                            | ann           |
      | name.familyName eq "baker"                   | bob           |
      | title ne "Designer"                          | ann, bob      |
      | title co "Engineer"                          | ann, bob      |
      | title sw "sales"                             | bob           |
      | title ew "ENGINEER"                          | ann, bob      |
      | nickName pr                                  | ann           |
      | name.givenName gt "Bob"                      | cat           |
      | name.givenName ge "Bob"                      | bob, cat      |
      | name.givenName lt "Bob"                      | ann           |
      | name.givenName le "Bob"                      | ann, bob      |
      | userName eq "nobody"                         | none          |

    Examples: case rules
      | filter                                       | users         |
      | USERNAME Eq "Ann"                            | ann           |
      | Name.FamilyName EQ "ARCHER"                  | ann           |
      | externalId eq "Ext-Ann"                      | ann           |
      | externalId eq "ext-ann"                      | none          |

    Examples: logical operators and grouping
      | filter                                                        | users    |
      | userName eq "ann" or userName eq "cat" and active eq false    | ann      |
      | (userName eq "ann" or userName eq "cat") and active eq false  | none     |
      | (userName eq "ann" or userName eq "cat") and active eq true   | ann, cat |
      | not (name.familyName pr)                                      | cat      |
      | not (active eq true) or nickName pr                           | ann, bob |
      | title co "Engineer" and not (userName eq "ann")               | bob      |

    Examples: multi-valued attributes and value paths
      | filter                                                  | users |
      | emails.value ew "@example.org"                          | bob   |
      | emails.type eq "home"                                   | cat   |
      | emails[type eq "work" and value co "@example.com"]      | ann   |
      | emails[type eq "home"]                                  | cat   |
      | emails[value sw "bob"] or emails[value sw "cat"]        | bob, cat |

    Examples: typed values
      | filter                                       | users         |
      | active eq false                              | bob           |
      | meta.created gt "2000-01-01T00:00:00Z"       | ann, bob, cat |
      | meta.created lt "2000-01-01T00:00:00Z"       | none          |

  @must
  Scenario: A quoted value may contain escaped quotes
    When I search users with the filter title eq "Lead \"Rust\" Engineer"
    Then the users found are ann

  @must @R-ERR
  Scenario Outline: A malformed filter is refused with 400: <filter>
    Given the filter userName eq "ann" is accepted
    When I search users with the malformed filter <filter>
    Then the filter is declined with 400

    Examples:
      | filter                   |
      | userName eq              |
      | userName zz "ann"        |
      | (userName eq "ann"       |
      | userName eq "ann" and    |
      | emails[type eq "work"    |
      | userName eq ann          |
      | title eq "unterminated   |

  @should @R-ERR
  Scenario Outline: A malformed filter names the scimType invalidFilter: <filter>
    Given the filter userName eq "ann" is accepted
    When I search users with the malformed filter <filter>
    Then the filter is declined with 400 and scimType "invalidFilter"

    Examples:
      | filter                   |
      | userName eq              |
      | (userName eq "ann"       |
      | emails[type eq "work"    |

  @may
  Scenario: Users can be searched with POST to /.search
    When I search my users with a POST to .search for the filter userName eq "bob"
    Then exactly 1 user is found

  @must @E-TC-01 @E-F-01
  Scenario: Looking up a user that cannot exist answers an empty list, not 404
    When I look up a user with a random userName
    Then the response is a ListResponse with no resources
