@provisioning
Feature: The provisioning logs say why, in Entra's shape
  Entra's answer to "why did this user not arrive?" is its provisioning logs: one
  provisioningObjectSummary per object and action (Microsoft Graph), with the steps taken and,
  when the app refused, the app's own answer. The simulator keeps the same records, groups the
  failures by cause, and says which failure left each divergence behind.

  Background:
    Given Ann is assigned to the app
    And Bob is assigned to the app

  @must @E-LOG-02
  Scenario: A create the app refuses is logged with the app's answer
    Given the app refuses the enterprise extension
    When the initial cycle runs
    Then the log record for "Create Ann" has /provisioningAction "create"
    And the log record for "Create Ann" has /provisioningStatusInfo/status "failure"
    And the log record for "Create Ann" has /provisioningStatusInfo/errorInformation/errorCategory "nonServiceFailure"
    And the log record for "Create Ann" has /provisioningStatusInfo/errorInformation/additionalDetails containing "POST /Users answered 400; scimType: invalidValue"
    And the log record for "Create Ann" has /provisioningSteps/3/provisioningStepType "processing"
    And the log record for "Create Ann" has /provisioningSteps/4/status "failure"

  @must @E-LOG-02
  Scenario: A successful create is logged with every step and no error
    When the initial cycle runs
    Then the log record for "Create Ann" has /provisioningStatusInfo/status "success"
    And the log record for "Create Ann" has /provisioningStatusInfo/errorInformation "(absent)"
    And the log record for "Create Ann" has /provisioningSteps/4/provisioningStepType "export"
    And the log record for "Create Ann" has /sourceIdentity/identityType "User"

  @must @E-LOG-02
  Scenario: An update lists what it changed, from the old value to the new
    When the initial cycle runs
    And Ann moves to the "Legal" department
    And 1 more cycle runs
    Then the log record for "Update Ann" has /provisioningAction "update"
    And the log record for "Update Ann" changed department from "Sales" to "Legal"

  @must @E-LOG-03
  Scenario: Failures are grouped by cause, each naming the refused request
    Given the app refuses the enterprise extension
    When the initial cycle runs
    Then the largest failure group reads "2 creates failed: 400 invalidValue"
    And the largest failure group reads "2 creates failed: 400 invalidValue "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User: extra_forbidden" — POST /Users with the enterprise extension"

  @must @E-LOG-03
  Scenario: A membership the app would not remove is explained by the refused PATCH
    Given the group "Sales team" with members Ann and Bob is assigned to the app
    And the app refuses member removals with a value list
    When the initial cycle runs
    And Bob leaves the company
    And 1 more cycle runs
    Then the app has group "Sales team" with members Ann and Bob
    And the convergence check explains 1 divergence in members by "PATCH /Groups/{id} (Remove members with a value list)"

  @must @E-LOG-03
  Scenario: A divergence no failure explains is listed as unexplained
    When the initial cycle runs
    And the app's own admin sets Ann's department to "Finance" in the app
    Then the convergence check finds 1 unexplained divergence in department
