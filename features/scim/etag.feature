@R-ETAG @rfc @needs-etag
Feature: Resource versions protect against lost updates
  A service that advertises ETag support returns a version with every resource and honours
  If-Match and If-None-Match (RFC 7644 §3.14, RFC 7232).

  Background:
    Given a user "ann"

  @must
  Scenario: A user is returned with an ETag equal to its meta.version
    When I read user "ann"
    Then the response carries a weak ETag equal to meta.version

  @should
  Scenario: The ETag is weak
    When I read user "ann"
    Then the ETag is weak

  @must
  Scenario Outline: Every write gives the user a new version (<action>)
    When I remember the ETag of user "ann"
    And I <action> user "ann" with the remembered ETag in If-Match
    Then the response status is 200 or 204
    And the ETag of user "ann" has changed

    Examples:
      | action  |
      | replace |
      | patch   |

  @must
  Scenario Outline: A stale If-Match is refused with 412 and changes nothing (<action>)
    When I <action> user "ann" with a stale ETag in If-Match
    Then the request is refused with status 412
    And user "ann" was not modified

    Examples:
      | action  |
      | replace |
      | patch   |
      | delete  |

  @must
  Scenario: Reading with the current ETag in If-None-Match answers 304
    When I remember the ETag of user "ann"
    And I read user "ann" with the remembered ETag in If-None-Match
    Then the response status is 304
