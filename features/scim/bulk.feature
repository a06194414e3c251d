@R-BULK @rfc @needs-bulk
Feature: Many operations travel in one bulk request
  /Bulk (RFC 7644 §3.7): operations may refer to resources created in the same request by
  bulkId, and failOnErrors stops processing after that many errors. The advertised limits are
  checked in discovery.feature.

  @must
  Scenario: A group refers to a user created in the same request by its bulkId
    When I send one bulk request creating user "ann" and group "team" that has the user as a member by bulkId
    Then every bulk operation succeeded with status "201"
    And group "team" has member ann

  @must @R-ATTR
  Scenario: failOnErrors stops processing after the first error
    Given a user "ann"
    When I send one bulk request with failOnErrors 1 that creates a second "ann" and then user "bob"
    Then the bulk response reports the duplicate as failed with status "409"
    And no user named "bob" exists
