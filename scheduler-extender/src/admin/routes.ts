import type { FastifyInstance } from 'fastify';
import type { Service } from '../service.js';

export function registerAdmin(_app: FastifyInstance, _service: Service): void {}
