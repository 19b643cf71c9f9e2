// Types of scripts/leftover-processes.mjs for the TypeScript tests that import it.
export declare const RUN_MARKER: "GATEHOUSE_TEST_RUN";
export declare function leftoverProcesses(runId: string): { pid: number; command: string }[];
export declare function killProcesses(processes: { pid: number }[]): void;
