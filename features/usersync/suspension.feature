@usersync-api @serial @S-US-06
Feature: Users are suspended, never deleted
  Users inside directory groups are never deleted by sync. When every rule that applied to a
  user is gone (the rules are deleted, or the user left every ruled group), the user becomes
  suspended: the account and its product data (meetings, recordings) are retained, the
  entitlements are taken away. Adding a rule back reactivates the same account.

  Background:
    Given User Sync is set up for the organization
    And the directory users Ann and Bob
    And the directory group "Sales" with Ann
    And the rule "Sales -> Meeting, Webinar"
    And User Sync is on
    And Ann has a recording "Q3 review"
    And Ann has a meeting "Weekly standup"

  @must @S-US-05
  Scenario: When the rule is deleted, Ann is suspended and her recordings are retained
    When the rule for "Sales" is deleted
    Then Ann is suspended
    And Ann still exists in the directory as the same account
    And Ann has no products
    And Ann's recording "Q3 review" is retained
    And Ann's meeting "Weekly standup" is retained

  @must @S-US-05
  Scenario: Leaving every ruled group suspends the user
    When Ann leaves "Sales"
    Then Ann is suspended
    And Ann still exists in the directory as the same account
    And Ann's recording "Q3 review" is retained

  @must @S-US-05
  Scenario: Deleting the directory group suspends its members
    When the directory group "Sales" is deleted
    Then Ann is suspended
    And Ann still exists in the directory as the same account

  @must
  Scenario: Re-adding a rule reactivates the same account with its data
    Given the rule for "Sales" is deleted
    When the rule "Sales -> Meeting" is added
    Then Ann is pending
    And Ann has the products "Meeting"
    And Ann still exists in the directory as the same account
    And Ann's recording "Q3 review" is retained
    And Ann received exactly one enrollment email

  @must
  Scenario: A user who had logged in comes back active
    Given Ann is a member of "Sales"
    When Ann logs in for the first time
    And Ann leaves "Sales"
    Then Ann is suspended
    When Ann joins "Sales"
    Then Ann is active
    And Ann has the products "Meeting" and "Webinar"
