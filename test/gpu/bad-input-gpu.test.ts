import { badInputSuite } from '../api/bad-input.test.js';

badInputSuite('gpu', 'per-op');
