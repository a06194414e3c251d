@provisioning
Feature: Microsoft Entra ID provisions the app
  The mock provisioning service (BEHAVIOUR §2) reads the directory, maps and scopes it, and
  sends the provider's exact requests to the app: an initial cycle, then a cycle every 40
  minutes, with escrows, quarantine and the accidental-deletion guard. Each scenario runs on a
  simulated clock against its own copy of the embedded reference.

  Background:
    Given Ann is assigned to the app
    And Bob is assigned to the app

  @must @E-CAP-01 @E-CY-01 @E-U-01 @E-MAP-01 @E-LOG-01
  Scenario: The initial cycle creates the assigned users with the default mappings
    When the initial cycle runs
    Then the app has Ann with userName "ann@contoso.example"
    And the app has Ann with externalId "ann"
    And the app has Ann with active "true"
    And the app has Ann with emails[type eq "work"].value "ann@contoso.example"
    And the app has Ann with urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department "Sales"
    And the provisioning log shows "Create Ann: success"
    And the last cycle was initial and processed 2 objects

  @must @E-G-01 @E-CY-01
  Scenario: Groups are created, then their members are added in the references phase
    Given the group "Sales team" with members Ann and Bob is assigned to the app
    When the initial cycle runs
    Then the app has group "Sales team" with members Ann and Bob
    And the provisioning log shows "Members Sales: success"

  @must @E-CY-02 @E-U-03
  Scenario: An incremental cycle 40 minutes later sends only what changed
    When the initial cycle runs
    And Ann moves to the "Legal" department
    And 1 more cycle runs
    Then the app has Ann with urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department "Legal"
    And the last cycle was incremental and processed 1 object
    And the next cycle is 40 minutes after the last cycle

  @must @E-U-03
  Scenario: The aadOptscim062020 shapes update the same way
    Given the provider sends the aadOptscim062020 request shapes
    And the group "Sales team" with members Ann and Bob is assigned to the app
    When the initial cycle runs
    And Ann moves to the "Legal" department
    And Bob leaves the company
    And 1 more cycle runs
    Then the app has Ann with urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department "Legal"
    And the app has Bob with active "false"
    And the app has group "Sales team" with members Ann

  @must @E-U-04 @E-MAP-01
  Scenario: A leaver is disabled, then deleted 30 days later
    When the initial cycle runs
    And Ann leaves the company
    And 1 more cycle runs
    Then the app has Ann with active "false"
    And the provisioning log shows "Disable Ann: success"
    When 30 days pass
    And 1 more cycle runs
    Then the app no longer has Ann
    And the provisioning log shows "Delete Ann: success"

  @must @E-U-04 @E-SC-02
  Scenario: Unassigned and disabled users are disabled, not deleted
    When the initial cycle runs
    And Ann is unassigned from the app
    And Bob is disabled in the directory
    And 1 more cycle runs
    Then the app has Ann with active "false"
    And the app has Bob with active "false"

  @must @E-SC-01 @E-SC-02
  Scenario: A scoping filter keeps users out of scope, and changing it forces a full cycle
    Given Cat is assigned to the app
    And the user scoping filter is department EQUALS "Legal"
    When the initial cycle runs
    Then the app does not have Ann
    And the provisioning log shows "Skip Ann: skipped"
    When 1 more cycle runs
    Then the last cycle was incremental and processed 0 objects
    When the admin changes the user scoping filter to department EQUALS "Sales"
    And 1 more cycle runs
    Then the last cycle was initial and processed 3 objects
    And the app has Ann with active "true"

  @must @E-TC-01 @E-F-01 @E-Q-01 @E-Q-02
  Scenario: A 404 on a filter that matches nothing quarantines at once
    Given the app answers 404 to a filter that matches nothing
    When the initial cycle runs
    Then the job is in quarantine for "compliance failure" (EncounteredQuarantineException)
    And 1 notification email is in the outbox
    And the next cycle is 6 hours after the first failure

  @must @E-Q-01 @E-Q-02 @E-Q-04 @E-RT-01
  Scenario: A target that answers 500 to everything for 3 cycles is quarantined
    When the app answers 500 to every request
    And 3 cycles run
    Then the job is in quarantine for "calls consistently fail" (EncounteredEscrowProportionThreshold)
    And the next cycle is 6 hours after the first failure
    When 1 more cycle runs
    Then the next cycle is 12 hours after the first failure
    And the job's synchronizationStatus is Quarantine, with nextAttempt 12 hours after seriesBegan and currentBegan at the last cycle's start
    When the app recovers
    And 1 more cycle runs
    Then the job is not in quarantine
    And the job's synchronizationStatus is Active
    And the app has Ann with active "true"
    And 1 notification email is in the outbox

  @must @E-RT-01 @E-Q-01
  Scenario: Wrong credentials quarantine at once
    When the app answers 401 to every request
    And the initial cycle runs
    Then the job is in quarantine for "credential failure" (EncounteredQuarantineException)

  @must @E-Q-02 @E-Q-04
  Scenario: After 28 days in quarantine the job is disabled
    When the app answers 503 to every request
    And 40 cycles run
    Then the job is disabled
    And the job's synchronizationStatus is Paused

  @must @E-Q-03
  Scenario: Mass disables are staged by the accidental-deletion guard until the admin allows them
    Given the accidental-deletion threshold is 1
    When the initial cycle runs
    And Ann leaves the company
    And Bob leaves the company
    And 1 more cycle runs
    Then 2 deletions are staged
    And the job is in quarantine for "accidental deletions" (TooManyDeletes)
    And the app has Ann with active "true"
    When the admin allows the staged deletions
    And 1 more cycle runs
    Then the app has Ann with active "false"
    And the job is not in quarantine

  @must @E-CY-02
  Scenario: Stopping lets the running cycle finish and no further cycle runs; restart is full
    When the initial cycle runs
    And the admin stops the job
    Then the job runs no further cycles
    When the admin restarts the job
    And 1 more cycle runs
    Then the last cycle was initial and processed 2 objects

  @must @E-POD-01
  Scenario: Provision on demand does not wait for the cycle
    When Ann is provisioned on demand
    Then the app has Ann with userName "ann@contoso.example"
    And the provisioning log shows "Create Ann: success"

  @must @E-U-02
  Scenario: A user already in the app is matched by userName and updated, not duplicated
    When Ann is provisioned on demand
    And the admin restarts the job
    And Ann moves to the "Legal" department
    And the initial cycle runs
    Then the provisioning log shows "Update Ann: success"

  @must @E-F-01
  Scenario: The app must leave members out when asked to
    Given the group "Sales team" with members Ann is assigned to the app
    And the app returns members despite excludedAttributes
    When the initial cycle runs
    And the admin restarts the job
    And 1 more cycle runs
    Then the app reported a protocol deviation about "excludedAttributes=members"

  @must @E-U-03
  Scenario: An app that rejects capitalised ops fails the default-mode member updates
    Given the group "Sales team" with members Ann is assigned to the app
    And the app rejects capitalised ops
    When the initial cycle runs
    Then the provisioning log shows "Members Sales: failure"

  @must @E-CY-01
  Scenario: Managers are set in the references phase, once both users exist in the app
    Given the app maps each user's manager
    And Ann reports to Bob
    When the initial cycle runs
    Then the app has Ann reporting to Bob
    And the app has Bob with no manager
    And the provisioning log shows "Manager Ann: success" after "Create Bob: success"

  @must @E-CY-01 @E-CY-02
  Scenario: A new manager, then none, reach the app in the next cycles
    Given Carl is assigned to the app
    And the app maps each user's manager
    And Ann reports to Bob
    When the initial cycle runs
    And Ann gets Carl as her new manager
    And 1 more cycle runs
    Then the app has Ann reporting to Carl
    When Ann no longer has a manager
    And 1 more cycle runs
    Then the app has Ann with no manager

  @must @E-CY-01 @E-U-04
  Scenario: A manager who is not provisioned is not referenced, and a deleted one is cleared
    Given Dan is not assigned to the app
    And the app maps each user's manager
    And Ann reports to Dan
    And Carl is assigned to the app
    And Carl reports to Bob
    When the initial cycle runs
    Then the app has Ann with no manager
    And the app has Carl reporting to Bob
    When Bob leaves the company
    And 1 more cycle runs
    Then the app has Carl reporting to Bob
    When 30 days pass
    And 1 more cycle runs
    Then the app does not have Bob
    And the app has Carl with no manager

  @must @E-POD-01 @E-CY-01
  Scenario: On demand, a user's manager is set when the manager is already in the app
    Given the app maps each user's manager
    And Ann reports to Bob
    When Bob is provisioned on demand
    And Ann is provisioned on demand
    Then the app has Ann reporting to Bob
    And the provisioning log shows "Manager Ann: success" after "Create Bob: success"
