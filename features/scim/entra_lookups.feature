@entra-compat
Feature: The identity provider's lookups and creates work whatever the target advertises
  Microsoft Entra ID never reads /ServiceProviderConfig. Before it creates or updates an
  object it looks the object up with an eq filter (BEHAVIOUR E-F-01): users by userName or
  externalId, groups by displayName without their members, and it reads every answer as a
  ListResponse. A lookup that silently finds nothing makes the provider create a duplicate
  (or fail on the conflict), so these run whether or not the target advertises filtering or
  PATCH. Run with --profile rfc to leave these out.

  Rule: Users and groups are found with eq filters

    Background:
      Given a user "ann" with an email of its own
      And a user "bob" with an email of its own

    @must @E-F-01
    Scenario: A user is found by its userName
      When the provider looks up users by userName equal to that of "ann"
      Then exactly user "ann" is found in a ListResponse

    @must @E-F-01
    Scenario: A user is found by its externalId
      When the provider looks up users by externalId equal to that of "ann"
      Then exactly user "ann" is found in a ListResponse

    @must @E-G-01 @E-F-01 @R-GROUP
    Scenario: A group is found by displayName without its members
      Given a group "team" with members ann and bob
      When I look up groups named "team" without their members
      Then exactly 1 group named "team" is found, without members

  Rule: Users are created from the provider's create request

    @must @E-U-01
    Scenario: A user is created with the enterprise extension the provider sends
      When the provider creates user "cat" with its create request
      Then the user is created with an id
