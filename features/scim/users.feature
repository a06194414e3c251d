@R-CRUD @rfc
Feature: Users can be created, read, replaced and deleted
  The life cycle of a User resource over HTTP (RFC 7644 §3.3-§3.6). Where the RFC leaves a
  choice, every allowed answer passes: a create may return more attributes than were sent.

  @must
  # The created resource's content is not checked: RFC 7644 §3.3 leaves the server free to
  # alter or ignore POSTed content. What a server keeps is checked where the RFC says SHALL.
  Scenario: Creating a user answers 201 with its location and meta data
    When I create a user "ann" with email "ann@example.com"
    Then the user is created with a Location header pointing to it
    And the response carries meta with resourceType "User", created, lastModified and location

  @must
  Scenario: A user can be read back by its id
    Given a user "ann"
    When I read user "ann"
    Then the returned user is "ann"
    And the response has the SCIM media type

  @must @R-ERR
  Scenario: Reading a user that does not exist answers 404 with an error body
    When I read a user that does not exist
    Then the request is refused with status 404

  @must
  Scenario: Replacing a user ignores the read-only id and creation date it carries
    Given a user "ann"
    When I replace user "ann" with displayName "Ann Replaced" and a made-up id and creation date
    Then user "ann" keeps its id and creation date
    And the returned resource has displayName "Ann Replaced"

  @must
  Scenario: A deleted user is gone
    Given a user "ann"
    When I delete user "ann"
    Then the response status is 204
    And user "ann" no longer exists

  @must @R-ATTR
  Scenario: Read-only values sent on create are ignored
    When I create a user "ann" giving my own id "my-own-id" and creation date "1999-01-01T00:00:00Z"
    Then the server assigned its own id and creation date

  @must @R-ATTR
  Scenario: A password is accepted but never returned
    When I create a user "ann" with the password "S3cret!pass"
    Then the response status is 201
    And the returned resource has no password
    And user "ann" has no password

  @must @R-ATTR
  Scenario: A second user with the same userName is refused as not unique
    Given a user "ann"
    When I create another user with the userName of "ann"
    Then the request is refused with status 409 and scimType "uniqueness"

  @should @R-ATTR
  Scenario: userName uniqueness ignores case, because userName is not case-exact
    Given a user "ann"
    When I create another user with the userName of "ann" in upper case
    Then the request is refused with status 409 and scimType "uniqueness"

  # RFC 7643 §4.1.1: "Each User MUST include a non-empty userName value. This identifier MUST
  # be unique across the service provider's entire set of Users." A server that stores "" holds
  # a User the RFC says cannot exist: a MUST. 400 invalidValue is RFC 7644 §3.12's answer for a
  # value that does not fit the schema (the keyword being OPTIONAL, a missing one is a SHOULD
  # finding).
  @must @R-IDENT
  Scenario: A user with an empty userName is refused as an invalid value
    Given the valid twin of "create a user with an empty userName" is accepted
    When I send the bad request "create a user with an empty userName"
    Then the request is refused because its userName names nothing

  # Spaces are not empty, so no RFC sentence forbids them; but a userName is "typically used by
  # the user to directly authenticate" (§4.1.1), and one of spaces names no one. The project's
  # reading, hence a SHOULD.
  @should @R-IDENT
  Scenario: A user whose userName is whitespace only is refused as an invalid value
    Given the valid twin of "create a user whose userName is whitespace only" is accepted
    When I send the bad request "create a user whose userName is whitespace only"
    Then the request is refused because its userName names nothing

  @should @R-IDENT @needs-patch
  Scenario: A PATCH cannot make a userName whitespace only
    Given a user "ann"
    And the valid twin of "patch a user's userName to whitespace only" is accepted
    When I send the bad request "patch a user's userName to whitespace only"
    Then the request is refused because its userName names nothing
    And user "ann" keeps its userName

  # RFC 7643 §3.1: "Each resource MAY include a non-empty "externalId" value." Sending none is
  # how a client says it has none; "" is refused as a SHOULD, the sentence being a MAY.
  @should @R-IDENT
  Scenario: A user with an empty externalId is refused as an invalid value
    Given the valid twin of "create a user with an empty externalId" is accepted
    When I send the bad request "create a user with an empty externalId"
    Then the request is refused because its externalId names nothing

  @must
  Scenario: A deleted user answers 404 to every later operation on its id
    A server may keep deleted users, but nothing of them may show (RFC 7644 §3.6).
    Given a user "ann" with an email of its own
    And user "ann" was deleted
    Then reading, replacing, patching and deleting user "ann" again each answer 404

  @must
  Scenario: A deleted user is left out of later searches
    Given a user "ann" with an email of its own
    And user "ann" was deleted
    Then a search for the userName of "ann" finds no user

  @should
  Scenario: A deleted user's userName and email can be used again
    A rehired person is provisioned again with the same userName and email; the RFC's own
    example of a deleted resource that should not be considered in conflict calculation.
    Given a user "ann" with an email of its own
    And user "ann" was deleted
    When I create user "ann" again with the same userName and email
    Then the user is created again
